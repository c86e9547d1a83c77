//! Prints what the default demo tenant holds: entry counts per app and action, the planted attacks, and
//! how long generation took. `cargo run --release -p saaswarden-demo --example demo_manifest [SEED]`

use std::collections::BTreeMap;
use std::time::Instant;

use saaswarden_demo::{DemoOptions, SimRole, generate};

fn main() {
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(DemoOptions::default().seed);
    let options = DemoOptions { seed, ..DemoOptions::default() };
    let started = Instant::now();
    let tenant = generate(&options);
    let elapsed = started.elapsed();

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for entry in tenant.slack_entries() {
        let via_app = if entry["context"].get("app").is_some() { " (context.app)" } else { "" };
        *counts.entry(format!("slack {}{via_app}", entry["action"].as_str().unwrap_or("?"))).or_default() += 1;
    }
    for entry in tenant.zendesk_entries() {
        let key = format!(
            "zendesk {} {}",
            entry["action"].as_str().unwrap_or("?"),
            entry["source_type"].as_str().unwrap_or("?")
        );
        *counts.entry(key).or_default() += 1;
    }
    let slack: usize = tenant.slack_entries().count();
    let zendesk: usize = tenant.zendesk_entries().count();
    println!("generated in {elapsed:?}: {slack} Slack + {zendesk} Zendesk = {} entries", slack + zendesk);
    println!(
        "{} users, {} Slack pages, {} Zendesk pages",
        tenant.users.len(),
        tenant.slack_pages.len(),
        tenant.zendesk_pages.len()
    );
    for (kind, n) in &counts {
        println!("{n:>8}  {kind}");
    }
    for attack in &tenant.planted {
        println!(
            "{} {} {} ({} entries): {}",
            attack.at,
            attack.policy_id,
            attack.user,
            attack.activity_ids.len(),
            attack.description
        );
    }
    for user in tenant.users.iter().filter(|u| u.role == SimRole::Admin) {
        println!("admin: {} ({}, Zendesk {})", user.email, user.home_country, user.zendesk_id.is_some());
    }
    for user in tenant.users.iter().filter(|u| u.integration.is_some()) {
        println!("integration: {} acts for {}", user.integration.as_deref().unwrap_or("?"), user.email);
    }
    let vpn = tenant.users.iter().filter(|u| u.corporate_vpn).count();
    let travellers = tenant.users.iter().filter(|u| u.traveller).count();
    let agents = tenant.users.iter().filter(|u| u.role == SimRole::Agent).count();
    println!("{vpn} corporate VPN users, {travellers} travellers, {agents} Zendesk agents");
    for entry in &tenant.directory {
        println!("directory: {} {:?} since {}", entry.email, entry.status, entry.since);
    }
}
