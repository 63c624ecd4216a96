"""The facts rules can test, per target type, and the rule families.

Facts are computed by :mod:`fingertip.rules.facts` from the store; this catalogue is what the
policy loader checks rule conditions against (an unknown fact is an error with its line) and what
``docs/rules.md`` lists.
"""

from __future__ import annotations

TARGETS = ("app", "account", "work_group", "sponsor", "listing")

#: Rule families (the ad-hoc audit form offers these) and their Chinese labels.
FAMILIES: dict[str, str] = {
    "stale_account": "账号长期不更新",
    "interaction": "互动回应",
    "zombie_app": "“僵尸”应用",
    "shell_app": "“空壳”应用",
    "duplicates": "重复、同质化",
    "forced_features": "强制使用功能",
    "filings": "备案与台账核对",
    "complaint_channel": "投诉渠道",
    "work_groups": "工作群组",
    "sponsor_level": "主办单位层级",
}

_COMMON = {
    "key": "inventory key",
    "name": "name",
    "division_code": "GB/T 2260 division code",
    "province_code": "province division code (PP0000)",
    "sponsor_id": "sponsor id in the store",
    "sponsor_name": "sponsor name",
    "sponsor_credit_code": "sponsor unified social credit code",
    "sponsor_level": "sponsor level (central … township)",
    "sponsor_level_rank": "index of the sponsor level in settings.detection.levels (central 0)",
    "status": "inventory status (active / shutting_down / closed)",
}

FACTS: dict[str, dict[str, str]] = {
    "account": {
        **_COMMON,
        "platform": "platform code (wechat, weibo …)",
        "has_activity_data": "an activity observation exists on or before the check date",
        "activity_date": "date of the activity observation used",
        "last_post_at": "time of the last post (UTC)",
        "days_since_last_post": "days from the last post to the check date (null: never posted or unknown)",
        "never_posted": "activity observed and no post ever",
        "posts_7d": "posts in the 7 days to the observation",
        "posts_14d": "posts in the 14 days to the observation",
        "posts_30d": "posts in the 30 days to the observation",
        "followers": "followers",
        "unanswered_messages": "public messages not answered",
        "oldest_unanswered_days": "age in days of the oldest unanswered message",
        "interaction_channel_declared": "inventory says an interaction channel exists",
        "interaction_channel_observed": "the platform shows a working interaction channel",
        "has_complaint_channel": "a complaint channel is declared",
        "same_platform_unit_accounts": "accounts of the same unit on the same platform (itself included)",
        "same_platform_unit_keys": "the other accounts of the unit on the platform",
        "near_duplicates": "other units' accounts on the platform in the division with a similar name (best 5)",
        "near_duplicate_count": "how many such accounts",
        "near_duplicate_best": "highest name similarity among near_duplicates (Jaccard of the name core)",
    },
    "app": {
        **_COMMON,
        "kind": "app / mini_program / quick_app",
        "host_platform": "mini-program host (wechat, alipay …)",
        "user_scale": "registered users declared",
        "monthly_active_users": "monthly active users declared in the ledger",
        "gov_filing_number": "national gov-app filing number declared in the ledger (国办函〔2026〕12号)",
        "security_level": "declared 等保 level (1-5)",
        "approvals": "approval records of forced-use features (feature, scope, text)",
        "launched_on": "launch date",
        "has_complaint_channel": "a complaint zone is declared",
        "declared_features": "declared feature codes",
        "forced_features_unapproved": "declared forced-use features without an approval record",
        "forced_features_exposed": "approved forced-use features whose approval does not state an internal scope",
        "forced_phrases_found": "forced-use practices found in the app or store descriptions",
        "sensitive_feature_count": "declared features handling personal or sensitive data",
        "listing_count": "store listings linked to the app",
        "listings_available": "listings currently available",
        "all_listings_delisted": "listed before and now absent from every store",
        "stores_listed": "stores where it is available",
        "stores_delisted": "stores where it was delisted",
        "delisted_since": "earliest delisting time among delisted listings",
        "days_since_version": "days since the newest version on any store",
        "latest_version_released_at": "release time of the newest version",
        "rating_count_total": "rating count summed over listings",
        "rating_count_growth": "rating-count growth over the snapshot window (null: not enough history)",
        "rating_count_max": "largest rating count of any one listing",
        "downloads_total": "downloads summed over Android listings (null: no Android data)",
        "downloads_max": "largest download count of any one Android listing (null: no Android data)",
        "description_trivial": "the description says nothing (see settings.detection.trivial_descriptions)",
        "description_length": "characters in the longest description",
        "filing_count": "MIIT ICP/APP filings found for the app (linked or matched by name, kind and province)",
        "gov_filing_count": "national gov-app filing records (国办函〔2026〕12号) found for the app",
        "gov_filings": "their record numbers",
        "gov_filed": "a gov-app filing record exists or the ledger declares a gov-app filing number",
        "icp_first_filed_on": "earliest review date of the app's ICP/APP filings",
        "gov_first_filed_on": "earliest date of the app's gov-app filing records",
        "icp_filed_after_launch": "ICP/APP filed after the launch date (null: launched before filing-before-launch "
                                  "was required, or a date unknown)",
        "gov_filed_after_launch": "gov-app filing record dated after the launch date (null: as above)",
        "active_filing_count": "filings not cancelled",
        "filings": "service licence numbers",
        "filing_holder_mismatch": "filings whose holder is not the sponsor",
        "filing_access_restricted": "filings marked access restricted",
        "filing_cancelled": "cancelled filings",
        "package_name": "Android package",
        "near_duplicates": "apps in the region with a similar name (best 5: similarity, package clone, feature "
                           "overlap)",
        "near_duplicate_count": "how many such apps",
        "near_duplicate_best": "highest name similarity among near_duplicates",
        "near_duplicate_score": "highest combined score: 1 for equal name cores, else 0.6 × name similarity "
                                "+ 0.4 × (package is a clone)",
    },
    "work_group": {
        **_COMMON,
        "platform": "platform code",
        "is_temporary": "set up for a temporary task",
        "task_ends_on": "end date of the task",
        "days_past_task_end": "days from the task end to the check date",
        "closed": "closed (closed_on set or status closed)",
        "member_count": "members",
    },
    "listing": {
        "key": "store:store_app_id",
        "name": "listing name",
        "store": "store code",
        "store_app_id": "Apple trackId or Android package",
        "developer": "developer / seller name",
        "available": "currently available",
        "in_inventory": "linked to an inventory app",
        "matched_sponsor": "sponsor matched by discovery, else the sponsor whose name equals the developer "
                           "(credit code, name)",
        "discovery": "how discovery found the listing (method developer/search, query, match score, reasons, "
                     "discovered_on, confirmed_on); null for a listing a store feed listed",
        "division_code": "division of the matched sponsor",
        "province_code": "province of the matched sponsor",
        "sponsor_id": "matched sponsor id",
    },
    "sponsor": {
        "key": "credit code",
        "name": "name",
        "division_code": "division",
        "province_code": "province",
        "sponsor_id": "id",
        "sponsor_level": "level",
        "sponsor_level_rank": "level rank",
        "app_count": "active apps",
        "apps_by_kind": "active apps per kind",
        "account_count": "active accounts",
        "group_count": "active work groups",
    },
}
