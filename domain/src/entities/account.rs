use sea_orm::entity::prelude::*;

/// An account row. Deliberately not `Serialize`: it carries the password hash.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub phone: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub community_id: Option<i64>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
    /// When the phone number was proven by an SMS code (registration or code login).
    pub phone_verified_at: Option<DateTimeUtc>,
    /// The resident wants loop notices by SMS as well as in the app.
    pub notify_sms: bool,
    /// The e-mail address notices go to: given and confirmed by its owner.
    pub email: Option<String>,
    /// The resident wants loop notices by e-mail as well.
    pub notify_email: bool,
    /// An address given but not confirmed yet.
    pub email_pending: Option<String>,
    /// SHA-256 of the confirmation link's token, and when it was sent.
    pub email_token: Option<String>,
    pub email_token_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
