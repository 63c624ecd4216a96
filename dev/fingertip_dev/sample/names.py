"""Name material for the sample population: departments, templates, place names, people.

Everything is data plus a few pure functions; :func:`name_core` is the normalisation the
sample's near-duplicate truth is defined by (two names are "near-identical" when their cores are
equal), so detectors can be checked against it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from fingertip import reference
from fingertip.reference import place_short

# --------------------------------------------------------------------------------------------
# Departments
# --------------------------------------------------------------------------------------------

# Level keys used in name templates: prov (province / autonomous region), muni (the four
# municipalities), pref (prefecture level), county (county level; districts may differ via
# ``district``). In templates {d} is the unit's division name as used in official names
# (杭州市西湖区, 宝应县), {c} the city of a district (杭州市), {dn} the district (西湖区).


@dataclass(frozen=True, slots=True)
class Dept:
    key: str  # ASCII word for package names and e-mail
    reg: str  # credit-code registration type: 11 机关, 12 事业单位, 13 群团组织
    names: dict  # level -> template
    tag: str  # short tag (公安, 人社 …) used in subunit and fallback names
    acct: tuple  # account-name templates, {p} = place short name
    app: tuple  # app-name templates, {p} place, {a} province short character
    levels: frozenset = frozenset({"prov", "muni", "pref", "county"})


def _d(key, reg, names, tag, acct, app, levels=None):
    if isinstance(names, str):
        names = {"prov": names, "muni": names, "pref": names, "county": names}
    return Dept(key, reg, names, tag, tuple(acct), tuple(app),
                frozenset(levels) if levels else frozenset(names))


_ALL = ("prov", "muni", "pref", "county")
_STD = {"prov": "{d}{x}厅", "muni": "{d}{x}局", "pref": "{d}{x}局", "county": "{d}{x}局"}


def _ting(x: str) -> dict:
    return {k: v.replace("{x}", x) for k, v in _STD.items()}


#: Local departments, most common first (the first few exist in nearly every division).
DEPARTMENTS: tuple[Dept, ...] = (
    _d("zwb", "11", {"prov": "{d}人民政府办公厅", "muni": "{d}人民政府办公厅", "pref": "{d}人民政府办公室",
                     "county": "{d}人民政府办公室"}, "政府",
       ["{p}发布", "{p}政务", "政务{p}"], ["{p}政务服务", "i{p}", "掌上{p}", "{p}通办", "{a}省事"]),
    _d("gaj", "11", {"prov": "{d}公安厅", "muni": "{d}公安局", "pref": "{d}公安局", "county": "{d}公安局",
                     "district": "{c}公安局{dn}分局"}, "公安",
       ["平安{p}", "{p}公安", "{p}警方"], ["{p}公安", "{p}警民通", "平安{p}"]),
    _d("wjw", "11", {"prov": "{d}卫生健康委员会", "muni": "{d}卫生健康委员会", "pref": "{d}卫生健康委员会",
                     "county": "{d}卫生健康局"}, "卫健",
       ["健康{p}", "{p}卫健", "{p}卫生健康"], ["健康{p}", "{p}预约挂号", "{p}健康通"]),
    _d("scjg", "11", "{d}市场监督管理局", "市场监管",
       ["{p}市场监管", "{p}市监", "市说{p}"], ["{p}市场监管", "{p}企业开办", "{p}食安通"]),
    _d("rsj", "11", {"prov": "{d}人力资源和社会保障厅", "muni": "{d}人力资源和社会保障局",
                     "pref": "{d}人力资源和社会保障局", "county": "{d}人力资源和社会保障局"}, "人社",
       ["{p}人社", "{p}就业", "{p}社保"], ["{p}人社", "{p}社保通", "{p}就业在线"]),
    _d("ybj", "11", "{d}医疗保障局", "医保", ["{p}医保", "{p}医保服务"], ["{p}医保", "{p}医保通"]),
    _d("sjj", "11", {"prov": "{d}政务服务和数据管理局", "muni": "{d}政务服务和数据管理局",
                     "pref": "{d}政务服务和数据管理局", "county": "{d}政务服务中心"}, "政数",
       ["{p}政务服务", "{p}12345"], ["{p}一网通办", "{p}好办", "{p}数智政务"]),
    _d("rmt", "12", {"pref": "{d}广播电视台", "county": "{d}融媒体中心"}, "融媒",
       ["{p}融媒", "{p}新闻", "{p}头条"], ["{p}融媒", "{p}新闻", "智慧{p}"]),
    _d("jyj", "11", {"prov": "{d}教育厅", "muni": "{d}教育委员会", "pref": "{d}教育局", "county": "{d}教育局"}, "教育",
       ["{p}教育", "{p}教育发布"], ["{p}教育", "{p}招考", "{p}智慧教育"]),
    _d("jtj", "11", {"prov": "{d}交通运输厅", "muni": "{d}交通委员会", "pref": "{d}交通运输局",
                     "county": "{d}交通运输局"}, "交通",
       ["{p}交通", "{p}交通运输"], ["{p}出行", "{p}公交", "{p}交通"]),
    _d("mzj", "11", _ting("民政"), "民政", ["{p}民政", "{p}养老服务"], ["{p}民政", "{p}养老"]),
    _d("gjj", "12", {"prov": "{d}住房公积金管理中心", "muni": "{d}住房公积金管理中心",
                     "pref": "{d}住房公积金管理中心"}, "公积金",
       ["{p}公积金"], ["{p}公积金", "{p}住房公积金"]),
    _d("tax", "11", "国家税务总局{d}税务局", "税务", ["{p}税务"], ["{p}税务", "{p}电子税务局"]),
    _d("yjj", "11", _ting("应急管理"), "应急", ["{p}应急管理", "{p}应急"], ["{p}应急", "{p}安全生产"]),
    _d("sthj", "11", {"prov": "{d}生态环境厅", "muni": "{d}生态环境局", "pref": "{d}生态环境局",
                      "county": "{d}生态环境局"}, "生态环境",
       ["{p}生态环境", "{p}环保"], ["{p}环境", "{p}生态环境"]),
    _d("wlj", "11", {"prov": "{d}文化和旅游厅", "muni": "{d}文化和旅游局", "pref": "{d}文化广电旅游局",
                     "county": "{d}文化和旅游局"}, "文旅",
       ["{p}文旅", "游{p}", "{p}文化旅游"], ["游{p}", "{p}文旅", "{p}智游"]),
    _d("zrzy", "11", {"prov": "{d}自然资源厅", "muni": "{d}规划和自然资源委员会", "pref": "{d}自然资源和规划局",
                      "county": "{d}自然资源局"}, "自然资源",
       ["{p}自然资源"], ["{p}不动产登记", "{p}自然资源"]),
    _d("zjj", "11", {"prov": "{d}住房和城乡建设厅", "muni": "{d}住房和城乡建设委员会",
                     "pref": "{d}住房和城乡建设局", "county": "{d}住房和城乡建设局"}, "住建",
       ["{p}住建", "{p}住房城乡建设"], ["{p}住建", "{p}房产"]),
    _d("nyj", "11", _ting("农业农村"), "农业农村", ["{p}农业农村", "{p}三农"], ["{p}农业", "{p}惠农"]),
    _d("tyjr", "11", _ting("退役军人事务"), "退役军人", ["{p}退役军人"], ["{p}退役军人服务"]),
    _d("sfj", "11", _ting("司法"), "司法", ["{p}司法", "法治{p}"], ["{p}法律服务", "{p}司法"]),
    _d("cdc", "12", {"prov": "{d}疾病预防控制中心", "muni": "{d}疾病预防控制中心", "pref": "{d}疾病预防控制中心",
                     "county": "{d}疾病预防控制中心"}, "疾控",
       ["{p}疾控"], ["{p}疫苗接种", "{p}疾控"]),
    _d("rmyy", "12", {"pref": "{d}第一人民医院", "county": "{d}人民医院"}, "医院",
       ["{p}人民医院"], ["{p}人民医院", "{p}人民医院掌上医院"]),
    _d("xcb", "11", "中共{d}委宣传部", "宣传", ["{p}宣传", "文明{p}"], ["{p}学习", "{p}宣传"]),
    _d("wxb", "11", "中共{d}委网络安全和信息化委员会办公室", "网信", ["网信{p}", "{p}网信"], ["{p}网络举报"]),
    _d("fgw", "11", {"prov": "{d}发展和改革委员会", "muni": "{d}发展和改革委员会", "pref": "{d}发展和改革委员会",
                     "county": "{d}发展和改革局"}, "发改",
       ["{p}发改", "{p}发展改革"], ["{p}项目审批", "{p}信用"]),
    _d("czj", "11", _ting("财政"), "财政", ["{p}财政"], ["{p}财政", "{p}非税缴费"]),
    _d("slj", "11", _ting("水利"), "水利", ["{p}水利"], ["{p}水利", "{p}河长"]),
    _d("tjj", "11", "{d}统计局", "统计", ["{p}统计"], ["{p}统计"]),
    _d("sjt", "11", _ting("审计"), "审计", ["{p}审计"], ["{p}审计"]),
    _d("swj", "11", _ting("商务"), "商务", ["{p}商务"], ["{p}商务", "{p}消费"]),
    _d("tyj", "11", "{d}体育局", "体育", ["{p}体育"], ["{p}体育", "{p}全民健身"]),
    _d("xfj", "11", "{d}信访局", "信访", ["{p}信访"], ["{p}信访"]),
    _d("lcj", "11", "{d}林业局", "林业", ["{p}林业"], ["{p}林业"]),
    _d("qxj", "11", "{d}气象局", "气象", ["{p}气象"], ["{p}天气", "{p}气象"]),
    _d("kjj", "11", _ting("科学技术"), "科技", ["{p}科技"], ["{p}科技", "{p}科技创新"]),
    _d("gxj", "11", _ting("工业和信息化"), "工信", ["{p}工信"], ["{p}工信", "{p}企业服务"]),
    _d("cgj", "11", {"muni": "{d}城市管理委员会", "pref": "{d}城市管理局", "county": "{d}综合行政执法局"}, "城管",
       ["{p}城管", "{p}城市管理"], ["{p}城管", "{p}城市管家"]),
    _d("ggzy", "12", "{d}公共资源交易中心", "公共资源交易", ["{p}公共资源交易"], ["{p}公共资源交易", "{p}招投标"]),
    _d("rx12345", "12", "{d}政务服务便民热线中心", "热线", ["{p}热线"], ["{p}热线"]),
    _d("dag", "12", "{d}档案馆", "档案", ["{p}档案"], ["{p}档案查询"]),
    _d("tsg", "12", "{d}图书馆", "图书馆", ["{p}图书馆"], ["{p}图书馆", "{p}悦读"]),
    _d("zgh", "13", "{d}总工会", "工会", ["{p}工会", "{p}职工"], ["{p}工会", "{p}职工之家"]),
    _d("gqt", "13", "共青团{d}委员会", "共青团", ["{p}共青团", "青春{p}"], ["{p}青年"]),
    _d("fl", "13", "{d}妇女联合会", "妇联", ["{p}妇联", "{p}女性"], ["{p}妇联"]),
    _d("cl", "13", "{d}残疾人联合会", "残联", ["{p}残联"], ["{p}残联", "{p}助残"]),
    _d("kx", "13", "{d}科学技术协会", "科协", ["{p}科协", "科普{p}"], ["{p}科普"]),
)

#: Subordinate units appended to a department's name once a division needs more units than
#: departments: (suffix by level, registration type, ASCII key, short word).
SUBUNITS: tuple[tuple[dict, str, str, str], ...] = (
    ({"prov": "信息中心", "muni": "信息中心", "pref": "信息中心", "county": "信息中心"}, "12", "xx", "信息"),
    ({"prov": "综合行政执法总队", "muni": "综合行政执法总队", "pref": "综合行政执法支队", "county": "综合行政执法大队"},
     "11", "zf", "执法"),
    ({"prov": "宣传教育中心", "muni": "宣传教育中心", "pref": "宣传教育中心", "county": "宣传教育中心"}, "12", "xj", "宣教"),
    ({"prov": "事务服务中心", "muni": "事务服务中心", "pref": "事务服务中心", "county": "事务服务中心"}, "12", "sw", "事务"),
    ({"prov": "机关服务中心", "muni": "机关服务中心", "pref": "机关服务中心", "county": "机关服务中心"}, "12", "jg", "机关"),
    ({"prov": "培训中心", "muni": "培训中心", "pref": "培训中心", "county": "培训中心"}, "12", "px", "培训"),
    ({"prov": "发展研究中心", "muni": "发展研究中心", "pref": "发展研究中心", "county": "发展研究中心"}, "12", "yj", "研究"),
    ({"prov": "监测中心", "muni": "监测中心", "pref": "监测中心", "county": "监测站"}, "12", "jc", "监测"),
    ({"prov": "服务中心", "muni": "服务中心", "pref": "服务中心", "county": "服务中心"}, "12", "fw", "服务中心"),
    ({"prov": "指挥中心", "muni": "指挥中心", "pref": "指挥中心", "county": "指挥中心"}, "12", "zh", "指挥"),
)

#: Central units: (name, registration type, ASCII key, account names, app names).
CENTRAL_UNITS: tuple[tuple[str, str, str, tuple, tuple], ...] = (
    ("国务院办公厅", "11", "gwy", ("中国政府网",), ("国家政务服务平台",)),
    ("公安部", "11", "mps", ("中国警方在线", "公安部发布"), ("公安部互联网服务平台", "交管服务")),
    ("人力资源和社会保障部", "11", "mohrss", ("人社部发布",), ("掌上人社服务",)),
    ("国家卫生健康委员会", "11", "nhc", ("健康中国",), ("国家卫健服务",)),
    ("国家市场监督管理总局", "11", "samr", ("市说新语",), ("市场监管服务",)),
    ("国家医疗保障局", "11", "nhsa", ("国家医保局",), ("国家医保服务平台",)),
    ("教育部", "11", "moe", ("微言教育",), ("国家智慧教育",)),
    ("交通运输部", "11", "mot", ("中国交通",), ("出行服务",)),
    ("民政部", "11", "mca", ("中国民政",), ("民政服务",)),
    ("国家税务总局", "11", "chinatax", ("国家税务总局",), ("税务服务",)),
    ("生态环境部", "11", "mee", ("生态环境部",), ("生态环境服务",)),
    ("应急管理部", "11", "mem", ("中国应急管理",), ("应急服务",)),
    ("文化和旅游部", "11", "mct", ("文旅之声",), ("文旅服务",)),
    ("自然资源部", "11", "mnr", ("自然资源部",), ("自然资源服务",)),
    ("住房和城乡建设部", "11", "mohurd", ("住建部",), ("住建服务",)),
    ("农业农村部", "11", "moa", ("农业农村部",), ("农业服务",)),
    ("退役军人事务部", "11", "mva", ("退役军人事务部",), ("退役军人服务",)),
    ("司法部", "11", "moj", ("司法部",), ("法律服务网",)),
    ("国家统计局", "11", "stats", ("国家统计局",), ("统计数据",)),
    ("海关总署", "11", "customs", ("海关发布",), ("海关服务",)),
    ("国家移民管理局", "11", "nia", ("国家移民管理局",), ("移民服务",)),
    ("国家信访局", "11", "gjxfj", ("国家信访局",), ("网上信访",)),
    ("中国气象局", "11", "cma", ("中国气象局",), ("中国天气服务",)),
    ("中华全国总工会", "13", "acftu", ("全总发布",), ("职工服务",)),
    ("中国共产主义青年团中央委员会", "13", "gqt", ("共青团中央",), ("青年服务",)),
    ("中华全国妇女联合会", "13", "women", ("女性之声",), ("妇联服务",)),
    ("中国残疾人联合会", "13", "cdpf", ("中国残联",), ("助残服务",)),
    ("中国科学技术协会", "13", "cast", ("科普中国",), ("科普服务",)),
)

#: Township name stems (synthetic; GB/T 2260 stops at county level).
TOWN_STEMS = (
    "城关", "城南", "城北", "城东", "城西", "新华", "人民", "解放", "胜利", "建设", "东风", "红旗", "和平", "长安",
    "永安", "太平", "临江", "河西", "河东", "东关", "西关", "南关", "北关", "白云", "青山", "龙泉", "凤凰", "金山",
    "石桥", "柳河", "杨柳", "桃源", "梅溪", "莲花", "双河", "三河", "新城", "新桥", "马桥", "黄土", "大桥", "白马",
    "小河", "长乐", "安宁", "清水", "石门", "龙门", "花园", "沙河", "大石", "高桥", "兴隆", "福兴", "永兴", "新兴",
    "文昌", "朝阳", "向阳", "东升", "红星", "光明", "前进", "团结", "幸福", "民主", "丰收", "五里", "十里", "三里",
    "官庄", "李庄", "王庄", "张集", "刘集", "杨集", "陈店", "黄桥", "新店", "柏林", "桂林", "杏林", "松山", "梧桐",
    "金鸡", "银杏", "玉泉", "碧水", "明珠", "望江", "江口", "河口", "湖滨", "海滨", "古城", "新市", "老街", "南湖",
    "北湖", "东湖", "西湖", "龙山", "虎山", "凤山", "狮山", "象山", "鹤山", "鹿鸣", "云台", "天宁", "青龙", "白沙",
)
COMMUNITY_STEMS = ("幸福里", "阳光", "和谐", "文化路", "花园", "翠苑", "锦绣", "滨河", "中心", "新村", "育才", "紫荆",
                   "丹桂", "春晖", "友谊", "康乐", "祥和", "金桥", "光华", "百合")

#: Pinyin of the 31 mainland provinces (for package names and e-mail domains).
PROVINCE_PINYIN = {
    "11": "beijing", "12": "tianjin", "13": "hebei", "14": "shanxi", "15": "neimenggu", "21": "liaoning",
    "22": "jilin", "23": "heilongjiang", "31": "shanghai", "32": "jiangsu", "33": "zhejiang", "34": "anhui",
    "35": "fujian", "36": "jiangxi", "37": "shandong", "41": "henan", "42": "hubei", "43": "hunan",
    "44": "guangdong", "45": "guangxi", "46": "hainan", "50": "chongqing", "51": "sichuan", "52": "guizhou",
    "53": "yunnan", "54": "xizang", "61": "shaanxi", "62": "gansu", "63": "qinghai", "64": "ningxia",
    "65": "xinjiang",
}
#: Initials used in official e-mail domains (…@zj.gov.cn).
PROVINCE_DOMAIN = {
    "11": "beijing", "12": "tj", "13": "hebei", "14": "shanxi", "15": "nmg", "21": "ln", "22": "jl",
    "23": "hlj", "31": "sh", "32": "js", "33": "zj", "34": "ah", "35": "fujian", "36": "jiangxi",
    "37": "shandong", "41": "henan", "42": "hubei", "43": "hunan", "44": "gd", "45": "gxzf", "46": "hainan",
    "50": "cq", "51": "sc", "52": "guizhou", "53": "yn", "54": "xizang", "61": "shaanxi", "62": "gansu",
    "63": "qinghai", "64": "nx", "65": "xinjiang",
}
#: Everyday one-character province names used in app names (川 rather than the ICP 蜀).
PROVINCE_COMMON_SHORT = dict(reference.PROVINCE_ABBREVIATIONS, **{"51": "川", "52": "贵", "53": "云", "62": "甘"})

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯鹏飞俊峰志新波宁琳雪梅晨阳欣怡佳慧颖婷瑞泽轩博睿涵子雨思晓东海"

CONTRACTOR_WORDS = ("数智", "政通", "云联", "智汇", "信达", "华信", "博思", "易通", "数政", "联创", "慧政", "同创",
                    "中软", "融智", "天行", "网达", "星云", "数联", "智城", "汇通")
CONTRACTOR_SUFFIXES = ("科技有限公司", "信息技术有限公司", "网络科技有限公司", "软件有限公司", "数字科技有限公司")

ACCOUNT_PLATFORM_NAMES = {
    "wechat": "微信公众号", "weibo": "新浪微博", "douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手",
    "bilibili": "哔哩哔哩", "wechat_channels": "微信视频号", "xiaohongshu": "小红书",
}
GROUP_PLATFORM_NAMES = {"wechat": "微信", "wecom": "企业微信", "dingtalk": "钉钉", "qq": "QQ", "zhengwuwei": "政务微信"}
APP_KIND_NAMES = {"app": "原生应用", "mini_program": "小程序", "quick_app": "快应用"}
HOST_NAMES = {"wechat": "微信", "alipay": "支付宝", "baidu": "百度", "douyin": "抖音"}

#: Ordinary service features (declared_features codes) and their Chinese names.
SERVICE_FEATURES = {
    "service_hall": "办事大厅", "appointment": "预约办理", "progress_query": "办件进度查询", "online_payment": "在线缴费",
    "policy_news": "政策资讯", "e_certificate": "电子证照", "message_center": "消息提醒", "map_guide": "办事地图",
    "social_security_query": "社保查询", "medical_insurance": "医保服务", "housing_fund": "公积金查询",
    "traffic_service": "交通出行", "legal_aid": "法律援助", "job_service": "就业服务", "volunteer": "志愿服务",
}
#: Forced-use features banned by Art. 6/8/10 unless approved (declared_features codes).
FORCED_FEATURES = ("check_in", "points_ranking", "online_time", "likes_as_evaluation", "forced_login",
                   "install_rate_target", "screenshot_demand")
#: Phrases that reveal forced-use features in a store description.
FORCED_PHRASES = ("每日签到打卡", "学习积分排名", "在线时长统计", "点赞转发纳入考核", "强制实名登录后方可浏览",
                  "下载安装率纳入考核", "截图上传留痕")

#: Permanent and temporary work-group name templates ({o} short unit name, {p} place, {t} town).
GROUP_PERMANENT = ("{o}工作群", "{o}值班值守群", "{o}业务交流群", "{o}通知群", "{p}{tag}系统工作群", "{o}党员学习群")
GROUP_TEMPORARY = (  # (template, purpose, led by a local government as a whole)
    ("{p}防汛工作群", "防汛抗旱期间信息报送", False), ("{p}疫情防控临时群", "疫情防控临时任务协调", False),
    ("{p}森林防灭火专项工作群", "森林防灭火专项工作", True), ("{p}第五次全国经济普查工作群", "经济普查数据采集", True),
    ("{p}创建全国文明城市攻坚群", "文明城市创建迎检", True), ("{p}安全生产大检查专项群", "安全生产大检查", False),
    ("{p}秸秆禁烧临时群", "秸秆禁烧巡查", True), ("{p}征兵工作临时群", "年度征兵工作", True),
    ("{p}迎检工作临时群", "上级检查迎检准备", False), ("{p}人口普查临时群", "人口普查入户登记", True),
)
#: Extra app-name words once a unit's templates are used up ({p}{tag}{word}).
APP_FALLBACK_WORDS = ("移动办公", "数据填报", "便民服务", "掌上办", "业务协同", "智慧监管", "信息采集", "工作台",
                      "预约服务", "事项办理")
TOWN_GROUPS = (("{t}防汛工作群", "防汛值守与险情报送", False), ("{t}{c}社区疫情防控临时群", "社区疫情防控临时任务", True),
               ("{t}网格员工作群", "网格化管理日常工作", False), ("{t}人居环境整治临时群", "人居环境整治专项行动", True))

#: Generic words ignored when comparing names (see :func:`name_core`).
GENERIC_WORDS = ("服务号", "订阅号", "移动端", "客户端", "官方", "发布", "在线", "平台", "掌上", "APP", "App", "app",
                 "新版", "之声", "频道")

@functools.lru_cache(maxsize=1)
def _ambiguous_county_shorts() -> frozenset[str]:
    """Short names shared by several county-level units of one province (鼓楼, 市中 …)."""
    seen: dict[tuple[str, str], int] = {}
    for div in reference.load_divisions():
        if div.level == "county":
            key = (div.code[:2], place_short(div.name))
            seen[key] = seen.get(key, 0) + 1
    return frozenset(f"{p}:{s}" for (p, s), n in seen.items() if n > 1)


@functools.lru_cache(maxsize=4096)
def place_for(code: str) -> str:
    """Place short name used in account and app names; ambiguous districts get their city."""
    dmap = reference.division_map()
    div = dmap[code]
    short = place_short(div.name)
    if div.level == "county" and f"{code[:2]}:{short}" in _ambiguous_county_shorts():
        parent = dmap.get(div.prefecture_code or "")
        if parent is not None:
            return place_short(parent.name) + short
    return short


@functools.lru_cache(maxsize=4096)
def official_name(code: str) -> str:
    """Division name as it opens official unit names: 杭州市西湖区, 宝应县, 北京市朝阳区, 广东省."""
    dmap = reference.division_map()
    div = dmap[code]
    if div.level == "county" and div.name.endswith("区") and div.prefecture_code:
        return dmap[div.prefecture_code].name + div.name
    return div.name


@functools.lru_cache(maxsize=4096)
def _place_tokens(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dmap = reference.division_map()
    div = dmap.get(code)
    tokens: set[str] = set()
    leading: set[str] = set()
    if div is not None:
        chain = [div, dmap.get(div.province_code)]
        if div.prefecture_code:
            chain.append(dmap.get(div.prefecture_code))
        for d in chain:
            if d is None:
                continue
            tokens.update({d.name, place_short(d.name)})
        tokens.add(place_for(code))
        prefix = code[:2]
        for table in (reference.PROVINCE_ABBREVIATIONS, PROVINCE_COMMON_SHORT):
            if prefix in table:
                leading.add(table[prefix])
    ordered = tuple(sorted((t for t in tokens if len(t) >= 2), key=len, reverse=True))
    return ordered, tuple(sorted(leading))


def name_core(name: str, division_code: str) -> str:
    """The distinctive part of an account or app name within its division.

    Removes generic words (:data:`GENERIC_WORDS`), the division's own place names (its, its
    prefecture's and its province's names and short names, plus a leading province character),
    whitespace and punctuation. Two same-platform accounts (or two apps) of one division whose
    cores are equal are near-duplicates in the sample's ground truth.
    """
    text = name
    for word in GENERIC_WORDS:
        text = text.replace(word, "")
    tokens, leading = _place_tokens(division_code)
    for token in tokens:
        text = text.replace(token, "")
    for ch in leading:
        if text.startswith(ch):
            text = text[1:]
    return "".join(ch for ch in text if ch.isalnum()).lower()
