//! The demo's 企服通: four buildings with units (some vacant), sixty
//! enterprises through the register's own import (two with a credit code
//! that fails its check, for review), leases ending within one, two and
//! three months and later, policies, providers and funding, a building
//! manager (`building_manager@` the first building) and an enterprise
//! account, and one request waiting. `hongcha seed-demo`; idempotent.
use std::collections::HashMap;

use chrono::{Days, Months};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::entities::{ent_member, ent_policy, ent_provider, enterprise};
use crate::accounts::Grant;
use crate::entities::{building, building_unit, community};
use crate::error::DomainResult;
use crate::seed::DemoAccount;
use crate::{Role, Scope, Services, accounts, clock};

/// (code, name, address, floor area, owner, property company, rent guide)
const BUILDINGS: &[(&str, &str, &str, f64, &str, &str, f64)] = &[
    (
        "GD-01",
        "古荡科创大厦",
        "文三路 100 号",
        42_000.0,
        "古荡资产公司",
        "小河物业公司",
        3.8,
    ),
    (
        "GD-02",
        "西溪数智中心",
        "学院路 28 号",
        36_000.0,
        "西溪置业",
        "西溪物业",
        4.2,
    ),
    (
        "GD-03",
        "文新商务楼",
        "文新路 9 号",
        18_000.0,
        "文新实业",
        "小河物业公司",
        2.9,
    ),
    (
        "GD-04",
        "益乐创意园",
        "益乐路 66 号",
        12_000.0,
        "益乐投资",
        "益乐物业",
        2.4,
    ),
];

const NAMES: &[&str] = &[
    "杭州云栖数据科技有限公司",
    "杭州西湖软件有限公司",
    "浙江古荡文化传媒有限公司",
    "杭州星河智能设备有限公司",
    "杭州小河会计服务有限公司",
    "杭州文新餐饮管理有限公司",
    "浙江益乐教育科技有限公司",
    "杭州溪畔生物医药研究院有限公司",
    "杭州启明检测技术有限公司",
    "杭州知行咨询有限公司",
];

const INDUSTRIES: &[&str] = &[
    "I6513", "I6420", "R8710", "C3911", "L7241", "H6210", "P8391", "M7340", "M7452", "L7243",
];

/// Policies: (title, summary, criteria)
const POLICIES: &[(&str, &str, &str)] = &[
    (
        "软件和信息服务业企业房租补贴",
        "对入驻街道楼宇的软件和信息技术服务业企业，按实际租赁面积给予房租补贴。",
        r#"{"industries": ["I63", "I64", "I65"], "max_employees": 300}"#,
    ),
    (
        "小微企业稳岗补助",
        "从业人数 100 人以下、年纳税 20 万元以上的小微企业，按参保人数给予稳岗补助。",
        r#"{"max_employees": 99, "min_tax": 20, "tags_any": ["小微企业"]}"#,
    ),
    (
        "科技型企业研发费用奖励",
        "成立五年以内的科技型企业，按研发投入给予奖励。",
        r#"{"tags_all": ["科技型"], "max_age_years": 5}"#,
    ),
    (
        "重点楼宇招商引资奖励",
        "入驻古荡科创大厦、西溪数智中心且年纳税 100 万元以上的企业。",
        r#"{"buildings": ["GD-01", "GD-02"], "min_tax": 100}"#,
    ),
    (
        "规上企业培育奖励",
        "年纳税 500 万元以上或从业人数 200 人以上的企业，给予一次性培育奖励。",
        r#"{"min_tax": 500}"#,
    ),
    (
        "专精特新企业专项扶持",
        "获评专精特新的企业，给予专项扶持资金。",
        r#"{"tags_all": ["专精特新"]}"#,
    ),
];

/// (kind, name, services, contact)
const PROVIDERS: &[(&str, &str, &str, &str)] = &[
    (
        "bank",
        "杭州银行古荡支行",
        "科技贷 小微企业信用贷 普惠金融 开户",
        "0571-8800****",
    ),
    (
        "bank",
        "农商银行文新支行",
        "小微企业贷款 供应链金融 结算",
        "0571-8801****",
    ),
    (
        "investor",
        "西溪天使投资基金",
        "天使轮 A轮 科技型企业 股权投资",
        "0571-8802****",
    ),
    (
        "investor",
        "古荡产业引导基金",
        "产业引导 股权投资 数字经济",
        "0571-8803****",
    ),
    (
        "accounting",
        "小河会计师事务所",
        "代理记账 审计 税务筹划 高新技术企业认定",
        "0571-8804****",
    ),
    (
        "law",
        "西湖律师事务所",
        "合同审查 劳动争议 知识产权 股权架构",
        "0571-8805****",
    ),
    (
        "broker",
        "浙商证券杭州营业部",
        "新三板挂牌 上市辅导 债券融资",
        "0571-8806****",
    ),
    (
        "funding",
        "区数字经济专项资金",
        "数字经济 软件 研发 补助 申报",
        "区经信局",
    ),
    (
        "funding",
        "市科技型中小企业创新资金",
        "科技型 研发 创新 补助",
        "市科技局",
    ),
    (
        "funding",
        "街道小微企业纾困资金",
        "小微企业 房租 稳岗 纾困",
        "街道经济发展办",
    ),
];

/// A valid credit code for the demo's `i`th enterprise (its check character
/// computed); `flagged` gets a wrong one.
fn code(i: usize, flagged: bool) -> String {
    let first17 = format!("91330106MA2{:05}{}", 10_000 + i * 37, "X");
    let first17: String = first17.chars().take(17).collect();
    let c = super::credit::check_character(&first17).unwrap_or('0');
    let last = if flagged {
        // Any other character of the alphabet: the check fails.
        if c == '1' { '2' } else { '1' }
    } else {
        c
    };
    format!("{first17}{last}")
}

/// The demo's enterprise service. Returns the demo accounts it made.
pub async fn seed(s: &Services, password: Option<&str>) -> DomainResult<Vec<DemoAccount>> {
    let communities = community::Entity::find().all(&s.db).await?;
    let Some(first) = communities.iter().map(|c| c.id).min() else {
        return Ok(Vec::new());
    };
    let second = communities
        .iter()
        .map(|c| c.id)
        .filter(|&c| c != first)
        .min()
        .unwrap_or(first);
    let now = clock::now();
    if building::Entity::find().count(&s.db).await? == 0 {
        let (_gate, txn) = s.begin_write().await?;
        for (i, (code, name, addr, area, owner, property, rent)) in BUILDINGS.iter().enumerate() {
            let b = building::ActiveModel {
                community_id: Set(if i < 2 { first } else { second }),
                code: Set((*code).to_owned()),
                name: Set((*name).to_owned()),
                address: Set(Some((*addr).to_owned())),
                floor_area: Set(Some(*area)),
                owner: Set(Some((*owner).to_owned())),
                property_company: Set(Some((*property).to_owned())),
                rent_guide: Set(Some(*rent)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            for u in 0..8 {
                building_unit::ActiveModel {
                    building_id: Set(b.id),
                    name: Set(format!("{}{:02}室", 3 + u / 2, 1 + u % 2)),
                    area: Set(Some(120.0 + 60.0 * f64::from(u))),
                    vacant: Set(u % 3 == 0),
                    rent_guide: Set(None),
                    note: Set((u % 3 == 0).then(|| "精装修，可随时入驻".to_owned())),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
    }
    if enterprise::Entity::find().count(&s.db).await? == 0 {
        let today = super::today();
        let headers: Vec<String> = [
            "统一社会信用代码",
            "企业名称",
            "法定代表人",
            "行业代码",
            "注册资本（万元）",
            "从业人数",
            "年纳税额（万元）",
            "楼宇编号",
            "房号",
            "租期开始",
            "租期结束",
            "租赁面积（㎡）",
            "联系人",
            "联系电话",
            "成立日期",
            "重点企业等级",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
        let mut rows = Vec::new();
        for i in 0..60usize {
            let name = if i < NAMES.len() {
                NAMES[i].to_owned()
            } else {
                format!("杭州古荡示范企业{:02}有限公司", i + 1)
            };
            // Leases: a few ending within 1, 2 and 3 months, the rest later.
            let end = match i % 10 {
                0 => today.checked_add_days(Days::new(12 + i as u64)),
                1 => today.checked_add_days(Days::new(45 + i as u64 % 10)),
                2 => today.checked_add_days(Days::new(75 + i as u64 % 10)),
                _ => today.checked_add_months(Months::new(6 + (i as u32 % 24))),
            }
            .unwrap_or(today);
            let start = end.checked_sub_months(Months::new(36)).unwrap_or(today);
            let start = if i % 7 == 3 {
                // Moved in this year.
                today
                    .checked_sub_days(Days::new(30 + i as u64))
                    .unwrap_or(today)
            } else {
                start
            };
            let employees = [12, 45, 80, 150, 320, 25, 60, 8, 210, 35][i % 10];
            let tax = [
                35.0, 120.0, 18.0, 640.0, 2_400.0, 22.0, 95.0, 6.0, 380.0, 150.0,
            ][i % 10];
            rows.push(vec![
                code(i, i == 17 || i == 42),
                name,
                ["张伟", "王芳", "李强", "刘洋", "陈静", "杨帆"][i % 6].to_owned(),
                INDUSTRIES[i % INDUSTRIES.len()].to_owned(),
                format!("{}", 100 + (i % 9) * 150),
                employees.to_string(),
                format!("{tax}"),
                BUILDINGS[i % BUILDINGS.len()].0.to_owned(),
                format!("{}{:02}室", 5 + i % 12, 1 + i % 4),
                start.format("%Y-%m-%d").to_string(),
                end.format("%Y-%m-%d").to_string(),
                format!("{}", 150 + (i % 8) * 90),
                ["周经理", "吴主管", "郑总"][i % 3].to_owned(),
                format!("1370000{:04}", i + 1),
                today
                    .checked_sub_months(Months::new(12 + (i as u32 * 7) % 120))
                    .unwrap_or(today)
                    .format("%Y-%m-%d")
                    .to_string(),
                match i {
                    4 | 13 => "A".to_owned(),
                    3 | 24 => "B".to_owned(),
                    _ => String::new(),
                },
            ]);
        }
        let table = crate::import::Table {
            headers,
            rows,
            digest: "demo".to_owned(),
        };
        super::register::import(s, None, &table, &HashMap::new(), false).await?;
    }
    if ent_policy::Entity::find().count(&s.db).await? == 0 {
        let (_gate, txn) = s.begin_write().await?;
        for (title, summary, criteria) in POLICIES {
            let c = super::rules::Criteria::parse(criteria)
                .map_err(|e| crate::DomainError::Internal(format!("demo policy: {e}")))?;
            ent_policy::ActiveModel {
                title: Set((*title).to_owned()),
                summary: Set((*summary).to_owned()),
                criteria: Set(serde_json::to_string(&c).unwrap_or_default()),
                version: Set(1),
                deadline: Set(super::today().checked_add_months(Months::new(6))),
                active: Set(true),
                updated_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        for (kind, name, services, contact) in PROVIDERS {
            ent_provider::ActiveModel {
                kind: Set((*kind).to_owned()),
                name: Set((*name).to_owned()),
                services: Set((*services).to_owned()),
                contact: Set(Some((*contact).to_owned())),
                url: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
    }
    // The accounts: a building manager of the first building, and an
    // account of the first enterprise (a software company there).
    let first_building = building::Entity::find()
        .filter(building::Column::Code.eq(BUILDINGS[0].0))
        .one(&s.db)
        .await?;
    let first_enterprise = enterprise::Entity::find()
        .filter(enterprise::Column::CreditCode.eq(code(0, false)))
        .one(&s.db)
        .await?;
    let mut out = Vec::new();
    let (Some(b), Some(e)) = (first_building, first_enterprise) else {
        return Ok(out);
    };
    for (role, name, phone, scope) in [
        (
            Role::BuildingManager,
            "刘楼管",
            "13800000009",
            Scope::Building(b.id),
        ),
        (
            Role::Enterprise,
            "云栖数据 周经理",
            "13800000010",
            Scope::Global,
        ),
    ] {
        let pw = password
            .map(str::to_owned)
            .unwrap_or_else(crate::seed::random_password);
        let id = accounts::provision_account(
            s,
            phone,
            &pw,
            name,
            Some(b.community_id),
            &[Grant { role, scope }],
        )
        .await?;
        out.push(DemoAccount {
            role,
            display_name: name.to_owned(),
            phone: phone.to_owned(),
            password: pw,
        });
        if role == Role::Enterprise
            && ent_member::Entity::find()
                .filter(ent_member::Column::AccountId.eq(id))
                .one(&s.db)
                .await?
                .is_none()
        {
            let (_gate, txn) = s.begin_write().await?;
            ent_member::ActiveModel {
                account_id: Set(id),
                enterprise_id: Set(e.id),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            super::policy::push_due(&txn, Some(&[e.id]), super::today(), clock::now()).await?;
            txn.commit().await?;
        }
    }
    super::lease::run(s, super::today(), super::rules::DEFAULT_MONTHS).await?;
    Ok(out)
}
