//! The message a user gets when an alert notifies them: built from the alert's facts only (title, time,
//! apps, description) — never its raw evidence, which may hold other users' data.

use super::Decision;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    /// Plain text.
    pub body: String,
}

pub fn notice_for(decision: &Decision) -> Notice {
    let apps: Vec<&str> = decision.apps.iter().map(|a| a.as_str()).collect();
    let apps = if apps.is_empty() { "your company's apps".to_string() } else { apps.join(" and ") };
    let mut body = format!(
        "Hello,\n\nOur security monitoring raised an alert about activity of your account {user} in {apps} \
         on {at} (UTC):\n\n  {title}\n",
        user = decision.user,
        at = decision.alert_created_at.format("%Y-%m-%d %H:%M"),
        title = decision.alert_title,
    );
    if !decision.alert_description.is_empty() {
        body.push_str(&format!("\n{}\n", decision.alert_description));
    }
    body.push_str(&format!(
        "\nIf this was you, no action is needed. If it was not, contact your security team at once and \
         quote alert {}.\n",
        decision.alert_id
    ));
    Notice { subject: format!("Security alert on your account: {}", decision.alert_title), body }
}
