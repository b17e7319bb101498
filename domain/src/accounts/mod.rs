//! 账号与角色 accounts, roles, sessions and permission checks.

mod password;
mod phone;
mod roles;
mod service;

pub use password::Password;
pub use phone::{PhoneNumber, mask_phone};
pub use roles::{Area, Grant, Principal, Role, Scope};
pub use service::*;
