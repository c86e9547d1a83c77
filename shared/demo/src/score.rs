//! A run's alerts held against the ground truth: which planted attacks were found, and how many alerts
//! fired on benign traffic alone.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{DemoTenant, PlantedAttack};

/// How a run's alerts compare with the planted attacks.
#[derive(Debug, Clone, Serialize)]
pub struct Scored<'a> {
    /// Every planted attack, in [`DemoTenant::planted`] order, and whether an alert found it.
    pub planted: Vec<(&'a PlantedAttack, bool)>,
    /// Alerts whose evidence holds no planted activity: false positives on benign traffic.
    pub benign_alerts: usize,
    /// Per planted attack (same order), how many alerts of its policy found it, the alerts of one campaign
    /// counted once: one incident, ideally one.
    pub alerts_per_attack: Vec<usize>,
    /// Per planted attack, how many alerts of its policy found it, each user's counted: a campaign's
    /// alerts (one per user it acted against) are all here.
    pub user_alerts_per_attack: Vec<usize>,
}

impl Scored<'_> {
    /// How many planted attacks were found.
    pub fn found(&self) -> usize {
        self.planted.iter().filter(|(_, found)| *found).count()
    }

    /// Alerts per found attack, on average: how many alerts an analyst gets for one incident.
    pub fn alerts_per_incident(&self) -> f64 {
        let found = self.found();
        if found == 0 {
            return 0.0;
        }
        self.alerts_per_attack.iter().sum::<usize>() as f64 / found as f64
    }

    /// Every attack found and nothing raised on benign traffic.
    pub fn perfect(&self) -> bool {
        self.found() == self.planted.len() && self.benign_alerts == 0
    }
}

impl DemoTenant {
    /// Scores alerts given as `(policy_id, user, activity_ids, campaign)`. An attack is found by an alert of
    /// its own policy whose evidence names one of its activities (or, for an alert with no evidence ids,
    /// whose user is the attack's user). An alert is benign when it names no planted activity and matches
    /// no attack that way; alerts of another policy on planted activity (side alerts) are not benign.
    /// Alerts with the same campaign id count as one alert of an attack.
    ///
    /// ```no_run
    /// # use saaswarden_demo::{DemoOptions, Scored, generate};
    /// struct Alert { policy_id: String, user: String, activity_ids: Vec<String>, campaign: Option<String> }
    /// let tenant = generate(&DemoOptions::default());
    /// let alerts: Vec<Alert> = Vec::new(); // what the pipeline raised
    /// let scored: Scored =
    ///     tenant.score(alerts.iter().map(|a| (a.policy_id.as_str(), a.user.as_str(), a.activity_ids.as_slice(), a.campaign.as_deref())));
    /// for (attack, found) in &scored.planted {
    ///     println!("{} {} {}", if *found { "found" } else { "MISSED" }, attack.policy_id, attack.user);
    /// }
    /// println!("{} of {} found, {} on benign traffic", scored.found(), scored.planted.len(), scored.benign_alerts);
    /// ```
    pub fn score<'t, 'a>(
        &'t self,
        alerts: impl IntoIterator<Item = (&'a str, &'a str, &'a [String], Option<&'a str>)>,
    ) -> Scored<'t> {
        let planted_ids: BTreeSet<&str> =
            self.planted.iter().flat_map(|p| p.activity_ids.iter().map(String::as_str)).collect();
        let mut found = vec![false; self.planted.len()];
        let mut user_alerts_per_attack = vec![0; self.planted.len()];
        let mut campaigns: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); self.planted.len()];
        let mut alerts_per_attack = vec![0; self.planted.len()];
        let mut benign_alerts = 0;
        for (policy_id, user, activity_ids, campaign) in alerts {
            let mut matched = false;
            for (k, attack) in self.planted.iter().enumerate() {
                let evidence = if activity_ids.is_empty() {
                    attack.user.eq_ignore_ascii_case(user)
                } else {
                    activity_ids.iter().any(|id| attack.activity_ids.contains(id))
                };
                if evidence && attack.policy_id == policy_id {
                    found[k] = true;
                    user_alerts_per_attack[k] += 1;
                    // The first alert of a campaign counts; its other users' alerts are the same incident.
                    if campaign.is_none_or(|c| campaigns[k].insert(c)) {
                        alerts_per_attack[k] += 1;
                    }
                    matched = true;
                }
            }
            let touches_planted = activity_ids.iter().any(|id| planted_ids.contains(id.as_str()));
            if !matched && !touches_planted {
                benign_alerts += 1;
            }
        }
        Scored {
            planted: self.planted.iter().zip(found).collect(),
            benign_alerts,
            alerts_per_attack,
            user_alerts_per_attack,
        }
    }
}
