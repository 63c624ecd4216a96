"""Policy-file texts shared by the policy checker tests."""

#: One valid account rule (basis opinions-7, threshold days=3) that the tables edit into mistakes.
RULE = """\
rules:
  - id: account.test_rule
    title_zh: 测试规则
    target: account
    family: stale_account
    severity: low
    basis: [opinions-7]
    thresholds: {days: 3}
    when:
      all:
        - {fact: days_since_last_post, gt: $days}
    remediation_zh: 测试
    threshold_basis: {days: opinions-7}
"""
