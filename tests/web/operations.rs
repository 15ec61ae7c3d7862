use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn two_instances_on_one_database_behave_as_one_site(app: TestApp) {
        let other = app.spawn_second_instance().await;
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let cookie = browser.session_cookie().unwrap();
        let same_person_elsewhere = Browser::with_cookie(&other.address, &cookie);
        assert_eq!(same_person_elsewhere.get("/profile").await.status(), StatusCode::OK, "a session made on one works on the other");
        app.set_active("ada@example.com", false).await;
        assert_eq!(same_person_elsewhere.get("/profile").await.status(), StatusCode::SEE_OTHER, "a disable takes effect on both");
    }

    async fn the_audit_log_records_the_account_story_and_no_secret(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        browser.logout().await;
        app.browser().login("ada@example.com", "wrong password here").await;
        browser.login("ada@example.com", PASSWORD).await;
        browser.submit("/password", &[("current_password", PASSWORD), ("new_password", "another good phrase"), ("new_password_confirm", "another good phrase")]).await;
        browser.submit("/sessions/revoke", &[]).await;
        let rows = app.audit_rows().await;
        let story: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
        assert_eq!(story, [
            ("register", "success"), ("logout", "success"), ("login", "failure"),
            ("login", "success"), ("password_change", "success"), ("sessions_revoke_others", "success"),
        ]);
        let everything = format!("{rows:?}");
        for secret in [PASSWORD, "wrong password here", "another good phrase", "$2b$"] {
            assert!(!everything.contains(secret), "{secret} leaked into the audit log");
        }
        use diesel::prelude::*;
        use gatehouse::db::schema::audit_events as a;
        let ips: Vec<Option<String>> = app.query(|c| a::table.select(a::ip).load(c)).await;
        assert!(ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")), "{ips:?}");
    }
}
