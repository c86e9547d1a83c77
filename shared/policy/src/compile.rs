//! Policy files → a [`PolicySet`]: each file decoded, its filter compiled to a [`Matcher`], its templates and
//! inline tests checked, and the set checked for duplicate and reserved ids. Every error of every file is
//! reported; a set with any error is not built.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use saaswarden_core::activity::{Activity, App};
use saaswarden_core::alert::Severity;
use saaswarden_core::detect;

use crate::error::{ErrorKind, PolicyError};
use crate::fields::Field;
use crate::filter::{Matcher, compile_leaf};
use crate::groups::Groups;
use crate::index::ShapeIndex;
use crate::inline_tests::{InlineTest, build_test};
use crate::model::{FilterModel, GovernanceAction, MatchMode, Per, PolicyModel};
use crate::parse::{Decoder, decode_policy, parse_yaml};
use crate::template::{Template, TemplateContext};

/// The ids of the built-in detections; a custom policy may not take one, or its alerts would merge with
/// theirs.
pub const BUILTIN_POLICY_IDS: [&str; 8] = [
    detect::anonymous_ip::POLICY_ID,
    detect::infrequent_country::POLICY_ID,
    detect::suspicious_ip::POLICY_ID,
    detect::impossible_travel::POLICY_ID,
    detect::terminated_user::POLICY_ID,
    detect::failed_logins::POLICY_ID,
    detect::unusual::ADMIN_POLICY_ID,
    detect::unusual::IMPERSONATED_POLICY_ID,
];

/// A validated, compiled set of policies. Immutable, `Send + Sync`: build it once, share it.
#[derive(Debug)]
pub struct PolicySet {
    policies: Vec<CompiledPolicy>,
    index: ShapeIndex,
}

/// One policy, ready to evaluate.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Template,
    pub(crate) severity: Severity,
    /// Tried in order on the alerting activity; the first that matches gives the severity.
    pub(crate) severity_rules: Vec<(Matcher, Severity)>,
    pub(crate) enabled: bool,
    pub(crate) apps: Vec<App>,
    pub(crate) matcher: Matcher,
    pub(crate) mode: MatchMode,
    pub(crate) per: Vec<Per>,
    /// Activity fields the count is also kept per, by the name the policy gives them.
    pub(crate) per_fields: Vec<(String, Field)>,
    pub(crate) title: Template,
    pub(crate) templates: TemplateContext,
    pub(crate) dedup: Duration,
    pub(crate) daily_limit: u32,
    pub(crate) governance: Vec<GovernanceAction>,
    pub(crate) origin: String,
    pub(crate) line: usize,
    pub(crate) tests: Vec<InlineTest>,
}

impl PolicySet {
    /// Loads policy files and directories (recursively, `*.yaml` / `*.yml`, in sorted path order; names
    /// starting with `.` are skipped). A file named explicitly is loaded whatever its extension.
    pub fn load(paths: &[PathBuf], groups: &Groups) -> Result<PolicySet, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let mut sources = Vec::new();
        for path in paths {
            for file in policy_files(path, &mut errors) {
                match fs::read_to_string(&file) {
                    Ok(text) => sources.push((file.display().to_string(), text)),
                    Err(e) => errors.push(PolicyError::new(
                        &file.display().to_string(),
                        None,
                        "",
                        ErrorKind::Io,
                        format!("cannot read the policy file: {e}"),
                    )),
                }
            }
        }
        match PolicySet::from_sources(&sources, groups) {
            Ok(set) if errors.is_empty() => Ok(set),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    /// Compiles policies from `(origin, yaml)` pairs: files bundled with a deployment or read from S3. The
    /// origin names the source in error messages and alerts' evidence.
    pub fn from_sources(sources: &[(String, String)], groups: &Groups) -> Result<PolicySet, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let mut policies = Vec::new();
        let mut seen: HashMap<String, (String, usize)> = HashMap::new();
        for (origin, text) in sources {
            let outcome = compile_source(origin, text, groups);
            if let Some((id, line)) = outcome.id {
                if BUILTIN_POLICY_IDS.contains(&id.as_str()) {
                    errors.push(PolicyError::new(
                        origin,
                        Some(line),
                        "id",
                        ErrorKind::BuiltinId,
                        format!(
                            "`{id}` is the id of a built-in detection (reserved: {}): choose another",
                            BUILTIN_POLICY_IDS.join(", ")
                        ),
                    ));
                } else if let Some((first_origin, first_line)) = seen.get(&id) {
                    errors.push(PolicyError::new(
                        origin,
                        Some(line),
                        "id",
                        ErrorKind::DuplicateId,
                        format!("duplicate policy id `{id}`: already defined at {first_origin}:{first_line}"),
                    ));
                } else {
                    seen.insert(id, (origin.clone(), line));
                }
            }
            errors.extend(outcome.errors);
            policies.extend(outcome.policy);
        }
        if errors.is_empty() {
            let index = ShapeIndex::default();
            Ok(PolicySet { policies, index })
        } else {
            Err(errors)
        }
    }

    /// Splits the set in two: the policies `keep` accepts, and the rest. Each half has its own index.
    pub fn partition(self, keep: impl Fn(&CompiledPolicy) -> bool) -> (PolicySet, PolicySet) {
        let (kept, rest): (Vec<CompiledPolicy>, Vec<CompiledPolicy>) = self.policies.into_iter().partition(|p| keep(p));
        let set = |policies: Vec<CompiledPolicy>| PolicySet { index: ShapeIndex::default(), policies };
        (set(kept), set(rest))
    }

    /// Whether any enabled policy of the set matches the activity (cheap: the shape index first).
    pub fn any_match(&self, activity: &Activity) -> bool {
        self.index
            .candidates(&self.policies, activity)
            .iter()
            .filter_map(|&i| self.policies.get(i as usize))
            .any(|p| p.enabled && p.matches(activity))
    }

    pub fn policies(&self) -> &[CompiledPolicy] {
        &self.policies
    }

    pub(crate) fn index(&self) -> &ShapeIndex {
        &self.index
    }

    pub fn get(&self, id: &str) -> Option<&CompiledPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

/// Every error of the policy files and directories at `paths`, empty when they are all valid.
pub fn validate(paths: &[PathBuf], groups: &Groups) -> Vec<PolicyError> {
    PolicySet::load(paths, groups).err().unwrap_or_default()
}

impl CompiledPolicy {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The default severity: what an alert gets when no severity rule matches (or there are none).
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The severity of an alert this activity completes: the first matching rule's, else the default.
    pub fn severity_for(&self, activity: &Activity) -> Severity {
        self.severity_rule(activity).map_or(self.severity, |(_, severity)| severity)
    }

    /// The first severity rule matching the activity: its position and severity.
    pub(crate) fn severity_rule(&self, activity: &Activity) -> Option<(usize, Severity)> {
        self.severity_rules.iter().enumerate().find(|(_, (m, _))| m.matches(activity)).map(|(i, (_, s))| (i, *s))
    }

    /// Disabled policies stay in the set (their inline tests still run) but the evaluator skips them.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The apps the policy applies to; empty means every app.
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    pub fn mode(&self) -> MatchMode {
        self.mode
    }

    /// What counts and dedup are kept per (sorted); the tenant is always part of the key.
    pub fn per(&self) -> &[Per] {
        &self.per
    }

    /// The activity fields counts and dedup are also kept per (`target.id`, `raw.details.user_id`).
    pub fn per_fields(&self) -> impl Iterator<Item = &str> {
        self.per_fields.iter().map(|(name, _)| name.as_str())
    }

    pub fn dedup(&self) -> Duration {
        self.dedup
    }

    pub fn daily_limit(&self) -> u32 {
        self.daily_limit
    }

    pub fn governance(&self) -> &[GovernanceAction] {
        &self.governance
    }

    /// Where the policy came from: its file path or the origin given to [`PolicySet::from_sources`].
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The line of the policy's `id` in its file.
    pub fn line(&self) -> usize {
        self.line
    }

    /// How many inline tests the policy file has.
    pub fn test_count(&self) -> usize {
        self.tests.len()
    }

    /// Whether the activity passes the policy's app scope and filter. Allocation-free: fields are
    /// pre-resolved, patterns pre-lower-cased, regexes and CIDRs precompiled.
    pub fn matches(&self, activity: &Activity) -> bool {
        (self.apps.is_empty() || self.apps.contains(&activity.app)) && self.matcher.matches(activity)
    }

    /// The key repeated-activity counts and alert dedup are kept under: the tenant, then each `per` part
    /// (`acme|user=alice@acme.example|ip=1.2.3.4`), with the activity's own user key as the user.
    pub fn counting_key(&self, activity: &Activity) -> String {
        self.counting_key_for(&activity.tenant, activity, &activity.user_key())
    }

    pub(crate) fn counting_key_for(&self, tenant: &str, activity: &Activity, user: &str) -> String {
        let mut key = tenant.to_string();
        for (name, value) in self.key_parts(activity, user) {
            key.push('|');
            key.push_str(name);
            key.push('=');
            key.push_str(&value);
        }
        key
    }

    /// The `per` parts of the counting key, by name (the tenant part is implicit).
    /// A field without a value counts as `none`, as an activity without an IP does for `ip`.
    pub(crate) fn key_parts(&self, activity: &Activity, user: &str) -> Vec<(&str, String)> {
        let fixed = self.per.iter().filter_map(|per| match per {
            Per::User => Some(("user", user.to_string())),
            Per::App => Some(("app", activity.app.as_str().to_string())),
            Per::Ip => Some(("ip", activity.ip.map_or_else(|| "none".to_string(), |ip| ip.to_string()))),
            Per::Tenant => None,
        });
        let fields = self
            .per_fields
            .iter()
            .map(|(name, field)| (name.as_str(), field.value(activity).render().unwrap_or_else(|| "none".to_string())));
        fixed.chain(fields).collect()
    }

    /// The alert title for this activity, its template rendered with the activity's own user key.
    pub fn title(&self, activity: &Activity) -> String {
        self.render_title(activity, &activity.user_key())
    }

    pub(crate) fn render_title(&self, activity: &Activity, user: &str) -> String {
        self.title.render(&self.templates, activity, user)
    }

    pub(crate) fn render_description(&self, activity: &Activity, user: &str) -> String {
        self.description.render(&self.templates, activity, user)
    }
}

struct FileOutcome {
    id: Option<(String, usize)>,
    policy: Option<CompiledPolicy>,
    errors: Vec<PolicyError>,
}

fn compile_source(origin: &str, text: &str, groups: &Groups) -> FileOutcome {
    let root = match parse_yaml(origin, text) {
        Ok(root) => root,
        Err(e) => return FileOutcome { id: None, policy: None, errors: vec![e] },
    };
    let mut d = Decoder::new(origin);
    let Some(model) = decode_policy(&mut d, &root) else {
        return FileOutcome { id: None, policy: None, errors: d.errors };
    };
    let id = (!model.id.is_empty()).then(|| (model.id.clone(), model.id_line));
    let policy = compile_model(&mut d, model, groups, origin);
    let policy = if d.errors.is_empty() { policy } else { None };
    // Reported top to bottom, the order an author fixes them in.
    d.errors.sort_by_key(|e| e.line);
    FileOutcome { id, policy, errors: d.errors }
}

fn compile_model(d: &mut Decoder<'_>, model: PolicyModel, groups: &Groups, origin: &str) -> Option<CompiledPolicy> {
    let matcher = model.filter.as_ref().and_then(|f| compile_filter(d, f, groups));
    let severity_rules: Vec<Option<(Matcher, Severity)>> = model
        .severity
        .rules
        .iter()
        .map(|(when, severity)| compile_filter(d, when, groups).map(|m| (m, *severity)))
        .collect();
    let severity_rules: Option<Vec<(Matcher, Severity)>> = severity_rules.into_iter().collect();
    let per_fields: Vec<(String, Field)> = model
        .matching
        .per_fields
        .iter()
        .filter_map(|f| Field::parse(&f.value).map(|field| (f.value.clone(), field)))
        .collect();
    let templates = TemplateContext::compile(d, &model.alert, groups);
    let mode = model.matching.mode;
    let title = templates.as_ref().and_then(|ctx| Template::compile(d, ctx, &model.alert.title, "alert.title", mode));
    if model.alert.title.value.trim().is_empty() && d.errors.iter().all(|e| e.field != "alert.title") {
        d.error(model.alert.title.line, "alert.title", ErrorKind::InvalidValue, "must not be empty");
    }
    let description =
        templates.as_ref().and_then(|ctx| Template::compile(d, ctx, &model.description, "description", mode));
    let tests: Vec<Option<InlineTest>> = model.tests.iter().map(|t| build_test(d, t)).collect();
    let tests: Option<Vec<InlineTest>> = tests.into_iter().collect();
    Some(CompiledPolicy {
        id: model.id,
        name: model.name,
        description: description?,
        severity: model.severity.default,
        severity_rules: severity_rules?,
        enabled: model.enabled,
        apps: model.apps,
        matcher: matcher?,
        mode,
        per: model.matching.per,
        per_fields,
        title: title?,
        templates: templates?,
        dedup: model.alert.dedup,
        daily_limit: model.alert.daily_limit,
        governance: model.governance,
        origin: origin.to_string(),
        line: model.id_line,
        tests: tests?,
    })
}

/// Compiles every node, so every bad leaf is reported, not just the first.
pub(crate) fn compile_filter(d: &mut Decoder<'_>, filter: &FilterModel, groups: &Groups) -> Option<Matcher> {
    match filter {
        FilterModel::Leaf(leaf) => compile_leaf(d, leaf, groups),
        FilterModel::Not(inner) => compile_filter(d, inner, groups).map(|m| Matcher::Not(Box::new(m))),
        FilterModel::All(children) | FilterModel::Any(children) => {
            let compiled: Vec<Option<Matcher>> = children.iter().map(|c| compile_filter(d, c, groups)).collect();
            let compiled: Vec<Matcher> = compiled.into_iter().collect::<Option<_>>()?;
            Some(if matches!(filter, FilterModel::All(_)) { Matcher::all(compiled) } else { Matcher::any(compiled) })
        }
    }
}

/// The policy files under `path`, sorted; a missing path is an error.
fn policy_files(path: &Path, errors: &mut Vec<PolicyError>) -> Vec<PathBuf> {
    let origin = path.display().to_string();
    let metadata = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(PolicyError::new(&origin, None, "", ErrorKind::Io, format!("cannot read: {e}")));
            return Vec::new();
        }
    };
    if !metadata.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(PolicyError::new(
                    &dir.display().to_string(),
                    None,
                    "",
                    ErrorKind::Io,
                    format!("cannot list: {e}"),
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let entry_path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if entry_path.is_dir() {
                pending.push(entry_path);
            } else if entry_path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(entry_path);
            }
        }
    }
    files.sort();
    files
}
