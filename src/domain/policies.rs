//! The operator's choices about who may make an account and how one is deleted, each with
//! the one spelling its setting takes.

/// Who may make an account (`GATEHOUSE_SIGNUP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignUpPolicy {
    /// Anyone, through `/register` (or a sign-in provider).
    #[default]
    Open,
    /// Only people an admin invited.
    InviteOnly,
}

impl SignUpPolicy {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "open" => Ok(Self::Open),
            "invite-only" => Ok(Self::InviteOnly),
            other => Err(format!("{other:?} is not open or invite-only")),
        }
    }
}

/// What "delete my account" does (`GATEHOUSE_ACCOUNT_DELETION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletionPolicy {
    /// The account is deleted at once.
    #[default]
    Immediate,
    /// The owner's request waits for an admin to approve it.
    Approval,
}

impl DeletionPolicy {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "immediate" => Ok(Self::Immediate),
            "approval" => Ok(Self::Approval),
            other => Err(format!("{other:?} is not immediate or approval")),
        }
    }
}

/// Both, as the account service holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policies {
    pub sign_up: SignUpPolicy,
    pub deletion: DeletionPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_has_one_spelling() {
        assert_eq!(
            SignUpPolicy::parse("invite-only"),
            Ok(SignUpPolicy::InviteOnly)
        );
        assert_eq!(
            DeletionPolicy::parse(" approval "),
            Ok(DeletionPolicy::Approval)
        );
        assert!(SignUpPolicy::parse("closed").is_err());
        assert!(DeletionPolicy::parse("never").is_err());
    }
}
