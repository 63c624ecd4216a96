# Environment of the project-local Airflow; sourced by bin/airflow, the Makefile and .ci/run.
# Every value can be overridden from the calling environment.
_ft_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FINGERTIP_HOME="${FINGERTIP_HOME:-$_ft_root}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$FINGERTIP_HOME/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$FINGERTIP_HOME/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$FINGERTIP_HOME/plugins}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-True}"
# Beijing time is Airflow's default zone (naive datetimes, CLI dates). Airflow 3.3's UI has no server
# setting for its display zone: it starts in the browser's zone and each user can pick Asia/Shanghai in
# the UI's time zone menu (the console's own pages always show Beijing time).
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-Asia/Shanghai}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export PYTHONPATH="$FINGERTIP_HOME/plugins:$FINGERTIP_HOME/dev${PYTHONPATH:+:$PYTHONPATH}"
unset _ft_root
