import sys

from fingertip_dev.cluster import main

sys.exit(main())
