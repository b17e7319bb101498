//! 界面文字 UI strings in zh-CN (default) and English. Components look up
//! keys here; no user-facing string is written into a component.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        if code.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// (key, 中文, English)
const MESSAGES: &[(&str, &str, &str)] = &[
    ("app.name", "红茶议事会", "Hongcha Council"),
    (
        "app.tagline",
        "居民的事，大家商量着办",
        "Residents decide together on what matters to them",
    ),
    ("nav.home", "首页", "Home"),
    ("nav.login", "登录", "Log in"),
    ("nav.register", "注册", "Sign up"),
    ("nav.logout", "退出", "Log out"),
    ("nav.main", "主导航", "Main navigation"),
    ("nav.opinions", "大家的意见", "Opinions"),
    ("opinions.title", "大家的意见", "Residents' opinions"),
    ("opinions.new", "我要提意见", "Raise an issue"),
    ("opinions.all", "全部", "All"),
    ("opinions.filter", "筛选", "Filter"),
    (
        "opinions.empty",
        "还没有公开的意见。",
        "No published opinions yet.",
    ),
    ("opinions.more", "更早的意见", "Older opinions"),
    ("opinion.supports", "支持", "Supports"),
    ("opinion.support", "我也支持", "I support this"),
    ("opinion.report", "举报不当内容", "Report abuse"),
    (
        "opinion.reported",
        "已收到您的举报，工作人员会查看。",
        "Thanks — staff will look at it.",
    ),
    ("opinion.anonymous", "匿名居民", "Anonymous resident"),
    (
        "opinion.received",
        "已收到您的意见，审核后公开：",
        "Received. It will be public after review:",
    ),
    (
        "opinion.similar",
        "同一件事已有人提出，可以直接支持：",
        "Someone has raised this already — you can support it instead:",
    ),
    ("opinion.reject_reason", "原因：", "Reason: "),
    (
        "opinion.hidden_by_reports",
        "多人举报，已暂时隐藏，请复核。",
        "Hidden after several reports — please review.",
    ),
    (
        "status.pending",
        "已收到，等待审核",
        "Received, awaiting review",
    ),
    ("status.published", "已公开", "Published"),
    ("status.rejected", "未通过审核", "Not accepted"),
    ("status.merged", "已合并到", "Merged into"),
    ("form.category", "类别", "Category"),
    ("form.title", "标题", "Title"),
    (
        "form.title.hint",
        "4–80 个字，一句话说清是什么事",
        "4–80 characters: what is it about?",
    ),
    ("form.body", "具体情况", "Details"),
    (
        "form.location",
        "小区或位置（选填）",
        "Compound or place (optional)",
    ),
    (
        "form.anonymous",
        "对外匿名（工作人员仍能看到是谁提的）",
        "Anonymous to the public (staff still see who you are)",
    ),
    ("form.submit.opinion", "提交意见", "Submit"),
    ("staff.queue", "待审核的意见", "Waiting for moderation"),
    ("moderate.approve", "通过", "Approve"),
    ("moderate.reject", "不通过", "Reject"),
    (
        "moderate.reason",
        "不通过的原因（提出人能看到）",
        "Reason (the author sees it)",
    ),
    ("moderate.merge", "合并", "Merge"),
    (
        "moderate.merge_into",
        "合并到意见编号",
        "Merge into opinion #",
    ),
    (
        "err.title.required",
        "请填写标题。",
        "Please enter a title.",
    ),
    (
        "err.title.too_short",
        "标题至少 4 个字。",
        "The title needs at least 4 characters.",
    ),
    (
        "err.title.too_long",
        "标题最多 80 个字。",
        "The title can have at most 80 characters.",
    ),
    (
        "err.title.invalid",
        "标题里有不能用的字符。",
        "The title contains characters that are not allowed.",
    ),
    (
        "err.body.required",
        "请写一写具体情况。",
        "Please describe the issue.",
    ),
    (
        "err.body.too_short",
        "具体情况至少 10 个字。",
        "Please write at least 10 characters.",
    ),
    (
        "err.body.too_long",
        "具体情况最多 2000 个字。",
        "At most 2000 characters.",
    ),
    (
        "err.body.invalid",
        "内容里有不能用的字符。",
        "The text contains characters that are not allowed.",
    ),
    (
        "err.location.too_long",
        "位置最多 64 个字。",
        "The place can have at most 64 characters.",
    ),
    (
        "err.category.invalid",
        "请选择类别。",
        "Please choose a category.",
    ),
    (
        "err.reason.required",
        "请填写原因。",
        "Please give a reason.",
    ),
    (
        "err.reason.too_short",
        "原因至少 2 个字。",
        "The reason needs at least 2 characters.",
    ),
    (
        "err.reason.too_long",
        "原因最多 200 个字。",
        "At most 200 characters.",
    ),
    (
        "err.merge_into.invalid",
        "只能合并到同一社区里已公开的另一条意见。",
        "Merge only into another published opinion of the same community.",
    ),
    (
        "err.conflict.not_pending",
        "这条意见已经处理过了。",
        "This opinion has already been handled.",
    ),
    ("err.decision.invalid", "操作无效。", "Unknown action."),
    ("nav.skip", "跳到正文", "Skip to content"),
    ("lang.switch", "English", "中文"),
    ("lang.switch_label", "切换语言", "Switch language"),
    ("area.me", "我的", "My page"),
    ("area.staff", "社区工作台", "Staff panel"),
    ("area.street", "街道成效", "Street office"),
    ("area.tasks", "任务收件箱", "Task inbox"),
    ("area.audit", "监督查看", "Supervision"),
    ("area.admin", "系统管理", "Administration"),
    (
        "home.welcome",
        "欢迎来到红茶议事会",
        "Welcome to the Hongcha Council",
    ),
    (
        "home.intro",
        "提意见、看热点、参加议事会、跟踪落实、评价结果——每条意见都能看到去向。",
        "Raise an issue, see what is hot, join council meetings, follow the plans and rate the results — every opinion can see where it went.",
    ),
    ("home.step.opinion", "提意见", "Raise an issue"),
    (
        "home.step.opinion.text",
        "小区里的难事、好点子，随手提交。",
        "Tell us about a problem or an idea in your neighbourhood.",
    ),
    ("home.step.meeting", "议事会", "Council meeting"),
    (
        "home.step.meeting.text",
        "热点议题上会讨论，线上线下都能参加。",
        "Hot topics go to a council meeting you can join on site or online.",
    ),
    ("home.step.result", "看结果", "See the result"),
    (
        "home.step.result.text",
        "方案、进度、评价，全程公开。",
        "Plans, progress and ratings are public from start to finish.",
    ),
    ("home.latest", "最新动态", "Latest activity"),
    (
        "home.latest.empty",
        "还没有新动态。",
        "Nothing has happened yet.",
    ),
    ("home.latest.opinion", "已公开", "Published"),
    ("home.latest.topic", "列入议题", "On the agenda"),
    ("home.latest.kind.opinion", "意见", "Opinion"),
    ("home.latest.kind.topic", "议题", "Topic"),
    ("home.latest.kind.meeting", "议事会", "Meeting"),
    ("home.latest.kind.plan", "共治方案", "Plan"),
    ("home.your_areas", "您可以进入", "Your areas"),
    (
        "home.start",
        "注册后就可以提意见",
        "Sign up to raise your first issue",
    ),
    ("form.phone", "手机号", "Mobile number"),
    ("form.password", "密码", "Password"),
    ("form.password.hint", "至少 8 位", "At least 8 characters"),
    ("form.current_password", "现在的密码", "Current password"),
    ("form.new_password", "新密码", "New password"),
    (
        "login.new_password",
        "新密码（可不填；忘记密码时在这里设一个新的）",
        "New password (optional; set one here if you forgot yours)",
    ),
    ("me.password", "修改密码", "Change password"),
    ("org.title", "组织架构", "Organisation"),
    (
        "org.intro",
        "街道、社区、小区。可新建、改名、填写区划代码；不再使用的可以停用（已有记录不受影响，不会删除）。整批导入请用命令 hongcha org import。",
        "Streets, communities, compounds. Add, rename, set division codes; retire what is no longer used (records stay, nothing is deleted). For a whole file use `hongcha org import`.",
    ),
    ("org.name", "名称", "Name"),
    ("org.code", "区划代码（可不填）", "Division code (optional)"),
    ("org.retired", "已停用", "Retired"),
    ("org.retire", "停用", "Retire"),
    ("org.restore", "恢复使用", "Restore"),
    ("org.add", "新建", "Add"),
    ("org.add_street", "新建街道", "New street"),
    ("org.add_community", "新建社区", "New community"),
    ("org.add_compound", "新建小区", "New compound"),
    (
        "err.unit_name.required",
        "请填写名称。",
        "Please enter a name.",
    ),
    (
        "err.unit_name.invalid",
        "名称不超过 32 个字。",
        "Names are at most 32 characters.",
    ),
    (
        "err.unit_code.invalid",
        "区划代码是 2–20 位数字或字母。",
        "Division codes are 2–20 letters or digits.",
    ),
    (
        "err.parent.invalid",
        "上级单位不存在或已停用。",
        "The parent does not exist or is retired.",
    ),
    ("err.level.invalid", "层级不对。", "Unknown level."),
    (
        "err.conflict.name_taken",
        "同一上级下已有这个名称。",
        "That name is already used under the same parent.",
    ),
    (
        "me.password_changed",
        "密码已修改，其他设备上的登录已退出。",
        "Password changed; you are logged out on other devices.",
    ),
    ("form.submit.change_password", "修改密码", "Change password"),
    (
        "err.current_password.wrong",
        "现在的密码不对。",
        "The current password is wrong.",
    ),
    ("form.show_password", "显示密码", "Show password"),
    ("form.hide_password", "隐藏密码", "Hide password"),
    ("form.display_name", "称呼", "Name shown to others"),
    (
        "form.display_name.hint",
        "例如：王阿姨、3 幢小李",
        "e.g. Auntie Wang, Xiao Li from block 3",
    ),
    ("form.community", "所在社区", "Your community"),
    (
        "form.community.choose",
        "请选择社区",
        "Choose your community",
    ),
    ("form.code", "验证码", "Code"),
    ("form.submit.login", "登录", "Log in"),
    ("form.submit.register", "注册", "Sign up"),
    ("form.submit.code", "获取验证码", "Send me a code"),
    (
        "form.submit.code_login",
        "用验证码登录",
        "Log in with the code",
    ),
    ("form.working", "请稍候…", "Please wait…"),
    ("login.title", "登录", "Log in"),
    ("login.by_password", "密码登录", "With password"),
    ("login.by_code", "短信验证码登录", "With an SMS code"),
    (
        "login.code_sent",
        "如果该号码已注册，验证码已发送，5 分钟内有效。",
        "If this number has an account, a code is on its way; it is valid for 5 minutes.",
    ),
    ("login.no_account", "还没有账号？", "No account yet?"),
    ("register.title", "注册", "Sign up"),
    (
        "register.have_account",
        "已有账号？",
        "Already have an account?",
    ),
    (
        "register.done",
        "注册成功，请登录。",
        "Your account is ready. Please log in.",
    ),
    ("me.title", "我的", "My page"),
    ("me.hello", "您好，", "Hello, "),
    ("me.phone", "手机号", "Mobile"),
    ("me.roles", "身份", "Roles"),
    ("me.opinions", "我提的意见", "My opinions"),
    (
        "me.opinions.empty",
        "您还没有提过意见。意见提交功能即将开放。",
        "You have not raised any issue yet. Submitting opinions opens soon.",
    ),
    ("staff.title", "社区工作台", "Staff panel"),
    (
        "staff.intro",
        "审核意见、评估议题、召集议事会、跟进方案。",
        "Moderate opinions, assess topics, convene meetings and follow up plans.",
    ),
    (
        "staff.queue.empty",
        "暂无待审核的意见。",
        "Nothing waiting for moderation.",
    ),
    ("street.title", "街道成效", "Street office"),
    (
        "street.intro",
        "各社区议题、办结时效与满意度对比。",
        "Compare communities: topics, timeliness and satisfaction.",
    ),
    ("street.communities", "辖区社区", "Communities"),
    ("tasks.title", "任务收件箱", "Task inbox"),
    (
        "tasks.intro",
        "分派给您的任务和案件会出现在这里。",
        "Tasks and cases assigned to you appear here.",
    ),
    ("tasks.empty", "暂无任务。", "No tasks right now."),
    ("audit.title", "监督查看", "Supervision"),
    (
        "audit.intro",
        "所有工作人员操作都记入防篡改的审计日志。",
        "Every staff action is written to a tamper-evident audit log.",
    ),
    ("audit.chain_ok", "审计链校验通过", "Audit chain verified"),
    (
        "audit.chain_bad",
        "审计链校验失败，首个异常记录：",
        "Audit chain broken at entry",
    ),
    ("audit.entries", "条记录", "entries"),
    ("audit.col.seq", "序号", "#"),
    ("audit.col.time", "时间", "Time"),
    ("audit.col.actor", "操作人", "By"),
    ("audit.col.action", "操作", "Action"),
    ("audit.col.target", "对象", "Target"),
    ("audit.system", "系统", "System"),
    ("admin.title", "系统管理", "Administration"),
    ("admin.accounts", "账号与角色", "Accounts and roles"),
    (
        "admin.search",
        "按称呼或手机号搜索",
        "Search by name or number",
    ),
    ("admin.search.go", "搜索", "Search"),
    ("admin.col.name", "称呼", "Name"),
    ("admin.col.phone", "手机号", "Mobile"),
    ("admin.col.community", "社区", "Community"),
    ("admin.col.roles", "角色", "Roles"),
    ("admin.revoke", "撤销", "Revoke"),
    ("admin.grant", "授予角色", "Grant role"),
    ("admin.scope", "范围", "Scope"),
    (
        "admin.scope.hint",
        "居民和社区工作人员选社区，街道工作人员和监督员选街道，网格员选小区，其他角色选全局",
        "Residents and staff: a community; street officers and supervisors: a street; grid workers: a compound; other roles: global",
    ),
    ("admin.scope.global", "全局", "Global"),
    ("admin.scope.street", "街道", "Street"),
    ("admin.scope.community", "社区", "Community"),
    ("admin.scope.compound", "小区", "Compound"),
    ("admin.scope.building", "楼宇", "Building"),
    ("admin.empty", "没有找到账号。", "No accounts found."),
    ("role.resident", "居民", "Resident"),
    ("role.staff", "社区工作人员", "Community staff"),
    ("role.street_officer", "街道工作人员", "Street officer"),
    ("role.grid_worker", "网格员", "Grid worker"),
    ("role.department", "职能部门", "Department"),
    ("role.enterprise", "企业", "Enterprise"),
    ("role.supervisor", "监督员", "Supervisor"),
    ("role.admin", "管理员", "Administrator"),
    ("role.building_manager", "楼管员", "Building manager"),
    ("role.property", "物业", "Property company"),
    (
        "page.forbidden",
        "您没有进入这里的权限。",
        "You do not have access to this page.",
    ),
    ("page.not_found", "页面不存在。", "Page not found."),
    ("page.login_needed", "请先登录。", "Please log in first."),
    ("page.loading", "加载中…", "Loading…"),
    ("err.unauthenticated", "请先登录。", "Please log in first."),
    (
        "err.forbidden",
        "没有权限进行此操作。",
        "You are not allowed to do this.",
    ),
    ("err.not_found", "找不到该记录。", "Not found."),
    (
        "err.invalid_credentials",
        "手机号或密码（验证码）不正确。",
        "Wrong mobile number or password (code).",
    ),
    (
        "err.rate_limited",
        "操作太频繁，请稍后再试。",
        "Too many requests. Please try again later.",
    ),
    (
        "err.internal",
        "系统繁忙，请稍后再试。",
        "Something went wrong on our side. Please try again.",
    ),
    (
        "err.transport",
        "网络连接出错，请检查网络后重试。",
        "Network problem. Please check your connection and retry.",
    ),
    (
        "err.conflict.phone_taken",
        "这个手机号已经注册过了，请直接登录。",
        "This number already has an account. Please log in.",
    ),
    (
        "err.conflict.grant_exists",
        "该账号已有这个角色。",
        "This account already has that role.",
    ),
    (
        "err.conflict.own_admin",
        "不能撤销自己的管理员角色。",
        "You cannot revoke your own admin role.",
    ),
    (
        "err.phone.invalid",
        "请输入 11 位手机号。",
        "Please enter an 11-digit mobile number.",
    ),
    (
        "err.password.too_short",
        "密码至少 8 位。",
        "The password needs at least 8 characters.",
    ),
    (
        "err.password.too_long",
        "密码最多 128 位。",
        "The password can have at most 128 characters.",
    ),
    (
        "err.password.too_simple",
        "密码太简单了。",
        "That password is too simple.",
    ),
    (
        "err.display_name.required",
        "请填写称呼。",
        "Please enter a name.",
    ),
    (
        "err.display_name.too_long",
        "称呼最多 32 个字。",
        "The name can have at most 32 characters.",
    ),
    (
        "err.display_name.invalid",
        "称呼里有不能用的字符。",
        "The name contains characters that are not allowed.",
    ),
    (
        "err.community.invalid",
        "请选择所在社区。",
        "Please choose your community.",
    ),
    ("err.role.invalid", "角色无效。", "Unknown role."),
    ("err.scope.invalid", "范围无效。", "Invalid scope."),
    (
        "err.scope.wrong_kind",
        "这个角色需要另一种范围（社区/街道/小区/全局）。",
        "This role needs another kind of scope (community/street/compound/global).",
    ),
    (
        "err.scope.not_found",
        "找不到该范围编号。",
        "No such scope id.",
    ),
    (
        "err.validation",
        "填写的内容有误。",
        "Some input is not valid.",
    ),
    ("admin.save", "保存", "Save"),
    ("bulk.apply", "对勾选的执行", "Apply to ticked items"),
    ("bulk.decision", "批量处理", "Bulk action"),
    ("bulk.done", "已处理：", "Done:"),
    ("bulk.picked", "已勾选：", "Ticked:"),
    ("category.title", "意见类别", "Opinion categories"),
    (
        "category.intro",
        "居民提意见时可选的类别。停用的类别不再可选，已有意见保留原类别。",
        "The categories residents choose from. A retired category can no longer be chosen; existing opinions keep it.",
    ),
    (
        "category.code",
        "代码（小写字母、数字、下划线）",
        "Code (lowercase letters, digits, underscores)",
    ),
    ("category.name_zh", "中文名称", "Chinese name"),
    ("category.name_en", "英文名称", "English name"),
    ("category.sort", "排序（小的在前）", "Order (smaller first)"),
    ("category.active", "启用", "In use"),
    ("category.add", "添加类别", "Add category"),
    ("channel.web", "网上提交", "Web form"),
    ("channel.import", "批量导入", "Bulk import"),
    ("channel.crawler", "网页采集", "Web crawler"),
    ("channel.meeting", "议事会现场", "Council meeting"),
    ("channel.hotline", "12345 热线", "12345 hotline"),
    ("channel.paper", "纸质表单", "Paper form"),
    ("form.channel", "来源", "Source"),
    ("form.status", "状态", "Status"),
    (
        "err.status.invalid",
        "没有这种公开状态。",
        "There is no such public status.",
    ),
    ("comments.title", "评论", "Comments"),
    ("comments.empty", "还没有评论。", "No comments yet."),
    ("comments.add", "写评论", "Write a comment"),
    ("comments.submit", "发表评论", "Post comment"),
    (
        "comments.received",
        "评论已收到，审核通过后公开。",
        "Comment received. It will be public once a moderator approves it.",
    ),
    ("comments.login", "登录后可以评论", "Log in to comment"),
    ("photos.title", "照片", "Photos"),
    ("photos.alt", "意见照片", "Opinion photo"),
    ("photos.add", "添加照片", "Add photos"),
    (
        "photos.hint",
        "最多 4 张，每张不超过 5 MB，JPG / PNG / WebP。照片中的位置等信息会被去除。",
        "Up to 4 photos, 5 MB each, JPG / PNG / WebP. Location and other metadata are removed.",
    ),
    ("photos.upload", "上传照片", "Upload photos"),
    ("photos.uploaded", "照片已上传。", "Photos uploaded."),
    (
        "opinion.received.photos",
        "审核前可以在意见页面添加照片。",
        "You can add photos on the opinion page until it is reviewed.",
    ),
    ("moderate.open", "查看详情", "Open"),
    ("staff.comments", "待审核评论", "Comments to review"),
    (
        "staff.comments.empty",
        "没有待审核的评论。",
        "No comments waiting for review.",
    ),
    ("staff.log", "审核记录", "Moderation log"),
    (
        "staff.log.empty",
        "还没有审核记录。",
        "No moderation decisions yet.",
    ),
    ("log.col.detail", "说明", "Details"),
    ("log.action.approve", "通过", "Approved"),
    ("log.action.reject", "不通过", "Rejected"),
    ("log.action.merge", "合并", "Merged"),
    ("log.action.edit", "更正", "Corrected"),
    (
        "opinion.correct",
        "更正内容（工作人员）",
        "Correct this opinion (staff)",
    ),
    (
        "opinion.correct.hint",
        "例如删去自动遮挡漏掉的个人信息，或改正类别。居民看到的内容会按更正后的文字重新遮挡个人信息，更正会记入审核记录。",
        "For example remove personal data the automatic mask missed, or fix the category. The public copy is masked again from the corrected text; the correction is logged.",
    ),
    ("opinion.correct.save", "保存更正", "Save correction"),
    ("opinion.corrected", "已更正。", "Corrected."),
    ("log.kind.opinion", "意见", "Opinion"),
    ("log.kind.comment", "评论", "Comment"),
    ("import.title", "批量导入意见", "Import opinions"),
    (
        "import.intro",
        "上传 12345 热线导出表或手工录入的纸质意见表（CSV 或 Excel）。先检查，全部无误才导入；导入的意见进入待审核。",
        "Upload a hotline export or typed-up paper forms (CSV or Excel). Everything is checked first and only imported when every row is right; imported opinions wait for review.",
    ),
    ("import.back", "返回审核工作台", "Back to moderation"),
    ("import.file", "选择文件", "Choose a file"),
    (
        "import.file.hint",
        "CSV（UTF-8 或 GBK）或 XLSX，不超过 20 MB，第一行为表头。老的 .xls 请先另存为 .xlsx。",
        "CSV (UTF-8 or GBK) or XLSX, up to 20 MB, headers in the first row. Save old .xls files as .xlsx first.",
    ),
    ("import.upload", "上传并检查", "Upload and check"),
    ("import.again", "重新上传", "Upload again"),
    ("import.mapping", "对应列", "Column mapping"),
    ("import.unmapped", "（不使用）", "(not used)"),
    (
        "import.default_community",
        "没有社区列时归入",
        "Community for rows without one",
    ),
    ("import.check", "重新检查", "Check again"),
    ("import.preview", "检查结果", "Check result"),
    ("import.rows", "共", "Rows"),
    ("import.rows_ok", "无误", "OK"),
    ("import.rows_bad", "有问题", "Problems"),
    (
        "import.has_errors",
        "以下各行有问题，改正后重新上传，否则不能导入：",
        "These rows have problems. Fix them and upload again; nothing can be imported until then:",
    ),
    ("import.row", "第几行", "Row"),
    ("import.start", "全部导入", "Import all"),
    ("import.progress", "导入进度", "Import progress"),
    ("import.done", "导入完成，新增：", "Import finished. New:"),
    ("import.skipped", "之前已导入：", "Already imported:"),
    (
        "import.failed",
        "导入未完成，没有导入任何一行。",
        "The import did not finish; no rows were imported.",
    ),
    (
        "import.interrupted",
        "服务曾重启，导入被中断，请重新开始。",
        "The server restarted during the import; please start it again.",
    ),
    ("import.field.title", "标题", "Title"),
    ("import.field.body", "内容", "Content"),
    ("import.field.community", "社区", "Community"),
    ("import.field.category", "类别", "Category"),
    ("import.field.location", "位置", "Location"),
    ("import.field.received_at", "受理时间", "Received at"),
    (
        "import.field.phone",
        "联系电话（只用于统计人数，不显示）",
        "Contact phone (only counted, never shown)",
    ),
    ("import.field.channel", "渠道", "Channel"),
    ("import.rule.in_future", "晚于现在", "is in the future"),
    (
        "import.publish",
        "直接公开（已核实的文件，会记入审计）",
        "Publish at once (a vetted file; audited)",
    ),
    (
        "import.publish_hint",
        "不勾选时，导入的意见先进入待审核。",
        "Unticked, imported opinions wait for moderation.",
    ),
    ("import.rule.required", "不能为空", "is empty"),
    ("import.rule.too_long", "太长", "is too long"),
    ("import.rule.invalid", "无法识别", "is not recognised"),
    (
        "import.rule.forbidden",
        "不是您负责的社区",
        "is not one of your communities",
    ),
    ("crawl.title", "网页采集", "Web sources"),
    (
        "crawl.intro",
        "从公开网页（如街道公告、社区论坛）采集民意。遵守 robots.txt，默认每秒最多访问一次，采集内容默认进入待审核。",
        "Collect opinions from public pages (street notices, community forums). robots.txt is honoured, at most one request per second by default, and items wait for review by default.",
    ),
    ("crawl.add", "添加采集来源", "Add a source"),
    ("crawl.run", "立即采集", "Run now"),
    (
        "crawl.run_started",
        "已开始采集，完成后这里会显示结果。",
        "The run has started; its result shows here when it finishes.",
    ),
    ("crawl.enabled", "启用", "Enabled"),
    ("crawl.disabled", "已停用", "Disabled"),
    ("crawl.name", "名称", "Name"),
    (
        "crawl.start_urls",
        "起始网址（每行一个）",
        "Start URLs (one per line)",
    ),
    (
        "crawl.list_item",
        "列表项选择器（CSS）",
        "List item selector (CSS)",
    ),
    ("crawl.link", "详情链接选择器", "Detail link selector"),
    ("crawl.next_page", "下一页链接选择器", "Next page selector"),
    ("crawl.sel_title", "标题选择器", "Title selector"),
    ("crawl.sel_body", "正文选择器", "Body selector"),
    ("crawl.sel_date", "日期选择器", "Date selector"),
    (
        "crawl.sel_author",
        "作者选择器（会打码）",
        "Author selector (masked)",
    ),
    ("crawl.encoding", "网页编码", "Page encoding"),
    ("crawl.encoding.auto", "自动识别", "Detect"),
    ("crawl.max_pages", "每次最多页数", "Most pages per run"),
    (
        "crawl.min_delay_ms",
        "同一网站两次访问间隔（毫秒）",
        "Gap between requests to one site (ms)",
    ),
    (
        "crawl.every_minutes",
        "每隔几分钟自动采集（0 为只手动）",
        "Run every N minutes (0: on demand only)",
    ),
    ("crawl.user_agent", "User-Agent 标识", "User-Agent"),
    (
        "crawl.allow_addresses",
        "允许的内网地址（每行一个，一般留空）",
        "Private addresses allowed (one per line, normally empty)",
    ),
    (
        "crawl.publish_directly",
        "不经审核直接公开",
        "Publish without review",
    ),
    (
        "err.comment.required",
        "请写评论内容。",
        "Please write a comment.",
    ),
    (
        "err.comment.too_short",
        "评论太短了。",
        "The comment is too short.",
    ),
    (
        "err.comment.too_long",
        "评论不能超过 500 字。",
        "A comment can have at most 500 characters.",
    ),
    (
        "err.comment.invalid",
        "评论里有不能使用的字符。",
        "The comment contains characters that cannot be used.",
    ),
    (
        "err.photo.required",
        "请选择照片。",
        "Please choose a photo.",
    ),
    (
        "err.photo.too_large",
        "每张照片不能超过 5 MB。",
        "Each photo can be at most 5 MB.",
    ),
    (
        "err.photo.invalid_type",
        "只能上传 JPG、PNG 或 WebP 照片。",
        "Only JPG, PNG or WebP photos can be uploaded.",
    ),
    (
        "err.photo.invalid",
        "照片文件已损坏，无法读取。",
        "The photo file is damaged and cannot be read.",
    ),
    (
        "err.file.invalid",
        "上传的文件无法读取。",
        "The uploaded file cannot be read.",
    ),
    (
        "err.file.unsupported",
        "只支持 CSV 和 XLSX 文件（.xls、.ods 请在 Excel 或 WPS 里另存为 .xlsx）。",
        "Only CSV and XLSX files are supported (save .xls or .ods as .xlsx in Excel or WPS).",
    ),
    ("err.file.empty", "文件是空的。", "The file is empty."),
    (
        "err.file.one_at_a_time",
        "一次只能上传一个文件。",
        "Upload one file at a time.",
    ),
    (
        "err.file.too_large",
        "文件不能超过 20 MB。",
        "The file can be at most 20 MB.",
    ),
    (
        "err.file.has_errors",
        "文件里有问题的行，改正后才能导入。",
        "Some rows have problems; fix them before importing.",
    ),
    (
        "err.file.not_utf8",
        "CSV 文件的编码无法识别，请用 UTF-8 或 GBK（Excel 可“另存为 CSV UTF-8”）。",
        "The CSV file's encoding is not recognised; use UTF-8 or GBK (in Excel: Save as CSV UTF-8).",
    ),
    (
        "err.file.bad_csv",
        "CSV 文件格式不对。",
        "The CSV file is malformed.",
    ),
    (
        "err.file.bad_sheet",
        "表格文件无法读取。",
        "The spreadsheet cannot be read.",
    ),
    (
        "err.file.too_many_rows",
        "一次最多导入 100000 行。",
        "At most 100,000 rows per import.",
    ),
    (
        "err.file.too_many_columns",
        "表格的列太多（最多 256 列），请只保留需要的列。",
        "The sheet has too many columns (at most 256); keep only the ones needed.",
    ),
    (
        "err.file.cell_too_long",
        "表格里有一个单元格的文字太长（超过 25 万字节），请检查文件。",
        "A cell in the sheet holds far too much text (over 256 KB); check the file.",
    ),
    (
        "err.file.too_many_cells",
        "表格的单元格太多，请拆成几个文件导入。",
        "The sheet has too many cells; split it into several files.",
    ),
    (
        "err.file.too_large_uncompressed",
        "表格解压后太大，无法读取，请拆成几个文件导入。",
        "The spreadsheet is too large once unpacked; split it into several files.",
    ),
    (
        "err.mapping.unknown_column",
        "选择的列在文件中不存在。",
        "The chosen column is not in the file.",
    ),
    (
        "err.mapping.no_title",
        "请指定哪一列是标题。",
        "Please choose the title column.",
    ),
    (
        "err.mapping.no_body",
        "请指定哪一列是内容。",
        "Please choose the content column.",
    ),
    (
        "err.ids.invalid",
        "请先勾选要处理的条目（一次最多 200 条）。",
        "Tick the items first (at most 200 at a time).",
    ),
    (
        "err.sms_code.required",
        "请先获取并填写短信验证码。",
        "Get the SMS code first and type it in.",
    ),
    (
        "err.sms_code.invalid",
        "验证码不对或已过期，请重新获取。",
        "The code is wrong or has expired; ask for a new one.",
    ),
    (
        "register.code_sent",
        "验证码已发送到这个号码，5 分钟内有效。",
        "A code has been sent to this number; it is valid for 5 minutes.",
    ),
    (
        "register.code_hint",
        "先获取验证码，证明这个号码是您本人的。",
        "Ask for a code first, to show the number is yours.",
    ),
    (
        "err.code.invalid",
        "代码只能用小写字母、数字和下划线，2–32 个字符。",
        "Codes use lowercase letters, digits and underscores, 2–32 characters.",
    ),
    (
        "err.name_zh.invalid",
        "请填写中文名称（不超过 16 字）。",
        "Please give a Chinese name (at most 16 characters).",
    ),
    (
        "err.name_en.invalid",
        "请填写英文名称（不超过 32 个字符）。",
        "Please give an English name (at most 32 characters).",
    ),
    (
        "err.sort.invalid",
        "排序需在 -9999 到 9999 之间。",
        "Order must be between -9999 and 9999.",
    ),
    (
        "err.name.invalid",
        "请填写名称（不超过 64 字）。",
        "Please give a name (at most 64 characters).",
    ),
    (
        "err.start_urls.invalid",
        "起始网址需以 http:// 或 https:// 开头，最多 20 个。",
        "Start URLs must begin with http:// or https://, at most 20.",
    ),
    (
        "err.max_pages.invalid",
        "每次页数需在 1 到 10000 之间。",
        "Pages per run must be between 1 and 10,000.",
    ),
    (
        "err.min_delay_ms.invalid",
        "访问间隔不能超过 60000 毫秒。",
        "The gap can be at most 60,000 ms.",
    ),
    (
        "err.user_agent.invalid",
        "User-Agent 需为 1–200 个英文字符。",
        "The User-Agent must be 1–200 ASCII characters.",
    ),
    (
        "err.every_minutes.invalid",
        "自动采集间隔不能超过一周。",
        "The schedule can be at most a week.",
    ),
    (
        "err.encoding.invalid",
        "不支持这种网页编码。",
        "That page encoding is not supported.",
    ),
    (
        "err.allow_addresses.invalid",
        "允许的地址最多 20 个。",
        "At most 20 allowed addresses.",
    ),
    (
        "err.selector.invalid",
        "有一个 CSS 选择器写得不对。",
        "One of the CSS selectors is not valid.",
    ),
    (
        "err.idempotency_key.invalid",
        "请刷新页面后重试。",
        "Please reload the page and try again.",
    ),
    (
        "err.conflict.too_many_photos",
        "一条意见最多 4 张照片。",
        "An opinion can have at most 4 photos.",
    ),
    (
        "err.conflict.category_fallback",
        "“其他”类别不能停用。",
        "The “Other” category cannot be retired.",
    ),
    (
        "err.conflict.source_name",
        "已有同名的采集来源。",
        "A source with that name already exists.",
    ),
    (
        "err.conflict.import_running",
        "这个文件正在导入。",
        "This file is being imported.",
    ),
];

/// The shared strings, then each module's own table.
const TABLES: &[&[(&str, &str, &str)]] = &[
    MESSAGES,
    crate::agenda::i18n::MESSAGES,
    crate::meetings::i18n::MESSAGES,
    crate::plans::i18n::MESSAGES,
    crate::reports::i18n::MESSAGES,
    crate::risk::i18n::MESSAGES,
    crate::enterprise::i18n::MESSAGES,
];

/// Looks up `key`; unknown keys come back as the key itself, so a missing
/// translation shows up in review instead of as an empty label.
pub fn text(lang: Lang, key: &str) -> &'static str {
    match TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|(k, _, _)| *k == key)
    {
        Some((_, zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => MESSAGES
            .iter()
            .find(|(k, _, _)| *k == "err.validation")
            .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
            .unwrap_or(""),
    }
}

/// The language signal every component reads.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

impl I18n {
    pub fn lang(self) -> Lang {
        self.0.get()
    }

    /// A reactive label: re-renders when the language changes.
    pub fn t(self, key: &'static str) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let sig = self.0;
        move || text(sig.get(), key)
    }

    /// The same, for keys built at run time (e.g. `role.{name}`).
    pub fn tr(self, key: &str) -> &'static str {
        text(self.0.get(), key)
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// The language a request asks for: the `lang` cookie, else the browser's
/// Accept-Language, else Chinese. The page cache keys on the same answer.
#[cfg(feature = "ssr")]
pub fn lang_from_headers(headers: &http::HeaderMap) -> Lang {
    let cookie = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("lang=").map(str::to_owned));
    if let Some(c) = cookie {
        return Lang::from_code(&c);
    }
    headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_code)
        .unwrap_or_default()
}

/// The language of this page load ([`lang_from_headers`] on the server);
/// on the client, what the server rendered.
pub fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|parts| lang_from_headers(&parts.headers))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .map(|l| Lang::from_code(&l))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let all: Vec<_> = TABLES.iter().flat_map(|t| t.iter()).collect();
        for (i, (k, zh, en)) in all.iter().enumerate() {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
            assert!(all[..i].iter().all(|(k2, _, _)| k2 != k), "duplicate {k}");
        }
    }

    /// Every literal key a component asks for exists (a typo would show the
    /// generic fallback text to users).
    #[test]
    fn every_key_used_in_components_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut files = vec![];
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("i18n.rs") {
                    files.push(p);
                }
            }
        }
        let mut checked = 0;
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap();
            for piece in src.split(".t(\"").skip(1) {
                let key = &piece[..piece.find('"').unwrap()];
                assert!(
                    TABLES
                        .iter()
                        .flat_map(|t| t.iter())
                        .any(|(k, _, _)| *k == key),
                    "{f:?}: missing key {key}"
                );
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} keys found");
    }

    #[test]
    fn lookup_and_fallback() {
        assert_eq!(text(Lang::Zh, "nav.login"), "登录");
        assert_eq!(text(Lang::En, "nav.login"), "Log in");
        assert_eq!(text(Lang::En, "no.such.key"), "Some input is not valid.");
        assert_eq!(Lang::from_code("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_code("zh-CN"), Lang::Zh);
    }
}
