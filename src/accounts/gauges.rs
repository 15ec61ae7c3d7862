//! The site-wide counts an operator watches (`/metrics`): read here so that the web reads
//! them through `accounts`, like everything else, and knows no table.

use super::audit::action;
use super::{AccountError, Accounts};
use crate::db::gauges::{self, SiteGauges};

impl Accounts {
    /// Logged-in sessions alive now, emails locked now, and locks ever applied, in one
    /// statement.
    pub async fn site_gauges(&self) -> Result<SiteGauges, AccountError> {
        let now = self.now();
        self.db
            .run(move |conn| {
                Ok::<_, AccountError>(gauges::site_gauges(conn, now, action::ACCOUNT_LOCKED)?)
            })
            .await
    }
}
