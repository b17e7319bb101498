use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};

/// What someone may do, always together with a [`Scope`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 居民
    Resident,
    /// 社区工作人员
    Staff,
    /// 街道工作人员
    StreetOfficer,
    /// 网格员
    GridWorker,
    /// 职能部门
    Department,
    /// 企业
    Enterprise,
    /// 监督员
    Supervisor,
    /// 系统管理员
    Admin,
    /// 楼管员: a building's manager (企服通)
    BuildingManager,
    /// 物业: a building's property company (企服通)
    Property,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Resident,
        Role::Staff,
        Role::StreetOfficer,
        Role::GridWorker,
        Role::Department,
        Role::Enterprise,
        Role::Supervisor,
        Role::Admin,
        Role::BuildingManager,
        Role::Property,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Staff => "staff",
            Role::StreetOfficer => "street_officer",
            Role::GridWorker => "grid_worker",
            Role::Department => "department",
            Role::Enterprise => "enterprise",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::BuildingManager => "building_manager",
            Role::Property => "property",
        }
    }

    pub fn parse(s: &str) -> DomainResult<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(DomainError::validation("role", "invalid"))
    }

    /// The kind of scope a grant of this role must carry.
    pub fn scope_kind(self) -> &'static str {
        match self {
            Role::Resident | Role::Staff => "community",
            Role::StreetOfficer | Role::Supervisor => "street",
            Role::GridWorker => "compound",
            Role::Department | Role::Enterprise | Role::Admin => "global",
            Role::BuildingManager | Role::Property => "building",
        }
    }

    /// The one area this role works in.
    pub fn area(self) -> Area {
        match self {
            Role::Resident => Area::Resident,
            Role::Staff => Area::Staff,
            Role::StreetOfficer => Area::Street,
            Role::GridWorker
            | Role::Department
            | Role::Enterprise
            | Role::BuildingManager
            | Role::Property => Area::Tasks,
            Role::Supervisor => Area::Audit,
            Role::Admin => Area::Admin,
        }
    }
}

/// Where a grant applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Community(i64),
    Street(i64),
    Compound(i64),
    /// A building 楼宇 (企服通's building managers and property companies).
    Building(i64),
    Global,
}

impl Scope {
    pub fn kind(self) -> &'static str {
        match self {
            Scope::Community(_) => "community",
            Scope::Street(_) => "street",
            Scope::Compound(_) => "compound",
            Scope::Building(_) => "building",
            Scope::Global => "global",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Scope::Community(id)
            | Scope::Street(id)
            | Scope::Compound(id)
            | Scope::Building(id) => id,
            Scope::Global => 0,
        }
    }

    pub fn from_parts(kind: &str, id: i64) -> DomainResult<Self> {
        match kind {
            "community" => Ok(Scope::Community(id)),
            "street" => Ok(Scope::Street(id)),
            "compound" => Ok(Scope::Compound(id)),
            "building" => Ok(Scope::Building(id)),
            "global" => Ok(Scope::Global),
            _ => Err(DomainError::validation("scope", "invalid")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

/// The parts of the product, each for the roles that use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// 居民首页 /me
    Resident,
    /// 社区工作台 /staff
    Staff,
    /// 街道成效 /street
    Street,
    /// 任务收件箱 /tasks
    Tasks,
    /// 监督查看 /audit
    Audit,
    /// 系统管理 /admin
    Admin,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Resident,
        Area::Staff,
        Area::Street,
        Area::Tasks,
        Area::Audit,
        Area::Admin,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Area::Resident => "/me",
            Area::Staff => "/staff",
            Area::Street => "/street",
            Area::Tasks => "/tasks",
            Area::Audit => "/audit",
            Area::Admin => "/admin",
        }
    }

    pub fn as_str(self) -> &'static str {
        &self.path()[1..]
    }

    /// The area a request path belongs to, if any.
    pub fn for_path(path: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| {
            let p = a.path();
            path == p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

/// Who is acting: an account with its grants, loaded from a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub account_id: i64,
    pub display_name: String,
    pub phone: String,
    pub community_id: Option<i64>,
    pub grants: Vec<Grant>,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn can_enter(&self, area: Area) -> bool {
        self.grants.iter().any(|g| g.role.area() == area)
    }

    /// The areas this principal may enter, in display order.
    pub fn areas(&self) -> Vec<Area> {
        Area::ALL
            .into_iter()
            .filter(|a| self.can_enter(*a))
            .collect()
    }

    pub fn require(&self, area: Area) -> Result<(), DomainError> {
        if self.can_enter(area) {
            Ok(())
        } else {
            Err(DomainError::Forbidden)
        }
    }

    pub fn require_admin(&self) -> Result<(), DomainError> {
        self.require(Area::Admin)
    }

    /// Staff of this community (or an admin) may see its residents' full phone numbers.
    pub fn is_staff_of(&self, community_id: Option<i64>) -> bool {
        self.has_role(Role::Admin)
            || community_id.is_some_and(|c| {
                self.grants
                    .iter()
                    .any(|g| g.role == Role::Staff && g.scope == Scope::Community(c))
            })
    }

    /// Whether this principal may see `subject`'s phone number unmasked.
    pub fn may_see_phone_of(&self, subject_id: i64, subject_community: Option<i64>) -> bool {
        self.account_id == subject_id || self.is_staff_of(subject_community)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(role: Role, scope: Scope) -> Principal {
        Principal {
            account_id: 1,
            display_name: "x".into(),
            phone: "13800000000".into(),
            community_id: Some(1),
            grants: vec![Grant { role, scope }],
        }
    }

    #[test]
    fn each_role_enters_exactly_its_area() {
        for role in Role::ALL {
            let p = with(role, Scope::Global);
            assert_eq!(p.areas(), vec![role.area()], "{role:?}");
        }
    }

    #[test]
    fn area_for_path() {
        assert_eq!(Area::for_path("/staff"), Some(Area::Staff));
        assert_eq!(Area::for_path("/staff/queue"), Some(Area::Staff));
        assert_eq!(Area::for_path("/staffing"), None);
        assert_eq!(Area::for_path("/"), None);
    }

    #[test]
    fn phone_visibility() {
        let staff = with(Role::Staff, Scope::Community(7));
        assert!(staff.may_see_phone_of(99, Some(7)));
        assert!(!staff.may_see_phone_of(99, Some(8)));
        assert!(staff.may_see_phone_of(1, None));
        let resident = with(Role::Resident, Scope::Community(7));
        assert!(!resident.may_see_phone_of(99, Some(7)));
    }

    #[test]
    fn role_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }
}
