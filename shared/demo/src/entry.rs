//! One audit-log entry before it becomes API JSON: small, copyable, cheap to sort. Ids are given after
//! all entries are sorted, so they follow time like the real APIs' do.

use std::net::IpAddr;

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor {
    /// A person of the population, by index.
    Person(u32),
    /// Zendesk acting on its own (automations); its id resolves to no user.
    ZendeskSystem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlackAction {
    Login,
    LoginFailed,
    Logout,
    FileDownloaded {
        file: u32,
    },
    FileShared {
        file: u32,
        channel: u32,
    },
    ChannelJoin {
        channel: u32,
    },
    ChannelLeave {
        channel: u32,
    },
    ChannelCreated {
        channel: u32,
    },
    /// `role_change_to_*` on another person.
    RoleChange {
        action: &'static str,
        target: u32,
    },
    /// A `pref.*` change: index into the routine or attack settings table.
    Pref {
        change: crate::catalog::PrefChange,
    },
    /// `app_approved` / `app_restricted`.
    AppDecision {
        action: &'static str,
        app: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZendeskAction {
    Login,
    TicketUpdate {
        ticket: u32,
        change: &'static str,
    },
    /// An admin changing a contractor's role.
    ContractorRole {
        contractor: usize,
        change: &'static str,
    },
    /// Index into `ACCOUNT_SETTINGS`.
    AccountSetting {
        setting: usize,
    },
    /// Index into `RULES`.
    RuleCreated {
        rule: usize,
    },
    ApiTokenCreated {
        label: &'static str,
    },
    TicketsExported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Slack(SlackAction),
    Zendesk(ZendeskAction),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// Unix seconds.
    pub at: i64,
    pub actor: Actor,
    pub action: Action,
    pub ip: Option<IpAddr>,
    pub ua: &'static str,
    /// Slack session id; `None` for apps acting with a token (and for Zendesk, which has none).
    pub session: Option<u64>,
    /// The app acting in the person's name (Slack `context.app`).
    pub via_app: Option<usize>,
    /// The planted attack this entry belongs to, by index; `None` for benign traffic.
    pub attack: Option<usize>,
}

impl Entry {
    pub(crate) fn slack(at: i64, person: usize, action: SlackAction, ip: impl Into<IpAddr>, ua: &'static str) -> Entry {
        Entry {
            at,
            actor: Actor::Person(person as u32),
            action: Action::Slack(action),
            ip: Some(ip.into()),
            ua,
            session: None,
            via_app: None,
            attack: None,
        }
    }

    pub(crate) fn zendesk(at: i64, person: usize, action: ZendeskAction, ip: impl Into<IpAddr>) -> Entry {
        Entry {
            at,
            actor: Actor::Person(person as u32),
            action: Action::Zendesk(action),
            ip: Some(ip.into()),
            ua: "",
            session: None,
            via_app: None,
            attack: None,
        }
    }

    pub(crate) fn in_session(mut self, session: u64) -> Entry {
        self.session = Some(session);
        self
    }

    pub(crate) fn is_slack(&self) -> bool {
        matches!(self.action, Action::Slack(_))
    }
}
