//! YAML text → [`PolicyModel`], with the line of every key and value, reporting every schema error.
//!
//! Why `saphyr` and a hand-written decoder rather than serde: `serde_yaml` is deprecated, and its maintained
//! forks (`serde_norway`, `serde_yml`) attach a location only to the first error serde hits, then stop. A
//! policy author wants every mistake in the file at once, each with its line, including the ones only our
//! own checks find (an unknown operator, a bad regex, a group the configuration lacks). `saphyr` (YAML 1.2,
//! maintained, pure Rust) loads a tree whose every node carries its source position (`MarkedYaml`) and
//! rejects duplicate keys; the decoder below walks that tree once, collecting errors as it goes and using
//! defaults to keep going past a broken value.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use saaswarden_core::{App, Severity};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::error::{ErrorKind, PolicyError, did_you_mean};
use crate::fields::{FIELD_NAMES, Field};
use crate::model::{
    ALERT_KEYS, AlertModel, CAPTURE_KEYS, CaptureModel, DEFAULT_DAILY_LIMIT, EXPECT_KEYS, Expect, FilterModel,
    GOVERNANCE_KEYS, GovernanceAction, GovernanceKind, GovernanceMode, LEAF_KEYS, LeafModel, MATCH_KEYS, MAX_COUNT,
    MapModel, MatchMode, MatchModel, POLICY_KEYS, Per, PolicyModel, SEVERITY_KEYS, SEVERITY_NAMES, SEVERITY_RULE_KEYS,
    SeverityModel, Spanned, TEST_KEYS, TestModel,
};

/// A YAML value with its 1-based line: the only YAML type the rest of the crate sees.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub line: usize,
    pub value: NodeValue,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// In file order; keys are unique (the loader rejects duplicates).
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub line: usize,
}

impl Node {
    /// How a value is named in "expected …, got …" messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "nothing",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) | NodeValue::Float(_) => "a number",
            NodeValue::Str(_) => "text",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as JSON, for test activities and raw values.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect())
            }
        }
    }
}

/// Parses one policy file's text into its single YAML document.
pub(crate) fn parse_yaml(origin: &str, text: &str) -> Result<Node, PolicyError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        PolicyError::new(origin, Some(e.marker().line()), "", ErrorKind::Syntax, format!("invalid YAML: {}", e.info()))
    })?;
    let mut docs = docs.iter();
    let Some(doc) = docs.next() else {
        return Err(PolicyError::new(origin, None, "", ErrorKind::Syntax, "the file is empty: expected one policy"));
    };
    if let Some(second) = docs.next() {
        return Err(PolicyError::new(
            origin,
            Some(second.span.start.line()),
            "",
            ErrorKind::Syntax,
            "a second YAML document: put each policy in its own file",
        ));
    }
    convert(origin, doc)
}

fn convert(origin: &str, yaml: &MarkedYaml<'_>) -> Result<Node, PolicyError> {
    let line = yaml.span.start.line();
    let value = match &yaml.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Sequence(items) => {
            NodeValue::Seq(items.iter().map(|item| convert(origin, item)).collect::<Result<_, _>>()?)
        }
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, value) in map {
                let name = match &key.data {
                    YamlData::Value(scalar) => scalar_text(scalar),
                    _ => {
                        return Err(PolicyError::new(
                            origin,
                            Some(key.span.start.line()),
                            "",
                            ErrorKind::Syntax,
                            "a mapping key must be plain text",
                        ));
                    }
                };
                entries.push((Key { name, line: key.span.start.line() }, convert(origin, value)?));
            }
            NodeValue::Map(entries)
        }
        // Tags mean nothing in a policy file; the tagged value is what counts.
        YamlData::Tagged(_, inner) => return convert(origin, inner),
        YamlData::Representation(..) | YamlData::Alias(_) | YamlData::BadValue => {
            return Err(PolicyError::new(origin, Some(line), "", ErrorKind::Syntax, "a value that is not valid YAML"));
        }
    };
    Ok(Node { line, value })
}

fn scalar_value(scalar: &Scalar<'_>) -> NodeValue {
    match scalar {
        Scalar::Null => NodeValue::Null,
        Scalar::Boolean(b) => NodeValue::Bool(*b),
        Scalar::Integer(i) => NodeValue::Int(*i),
        Scalar::FloatingPoint(f) => NodeValue::Float(f.into_inner()),
        Scalar::String(s) => NodeValue::Str(s.to_string()),
    }
}

fn scalar_text(scalar: &Scalar<'_>) -> String {
    match scalar {
        Scalar::Null => "null".to_string(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_string() } else { format!("{parent}.{key}") }
}

/// Collects the errors of one file while decoding it.
pub(crate) struct Decoder<'a> {
    pub origin: &'a str,
    pub errors: Vec<PolicyError>,
}

/// A mapping whose keys have been checked against the schema.
pub(crate) struct Fields<'n> {
    pub line: usize,
    entries: &'n [(Key, Node)],
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }
}

impl<'a> Decoder<'a> {
    pub fn new(origin: &'a str) -> Self {
        Decoder { origin, errors: Vec::new() }
    }

    pub fn error(&mut self, line: usize, field: &str, kind: ErrorKind, message: impl Into<String>) {
        self.errors.push(PolicyError::new(self.origin, Some(line), field, kind, message));
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        self.error(node.line, path, ErrorKind::WrongType, format!("expected {expected}, got {}", node.type_name()));
    }

    /// The node as a mapping with only `allowed` keys; every other key is reported.
    pub fn fields<'n>(&mut self, node: &'n Node, path: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let NodeValue::Map(entries) = &node.value else {
            self.wrong_type(node, path, "a mapping");
            return None;
        };
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                self.error(
                    key.line,
                    &join(path, &key.name),
                    ErrorKind::UnknownField,
                    format!(
                        "unknown field `{}`{} (expected one of {})",
                        key.name,
                        did_you_mean(&key.name, allowed.iter().copied()),
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(Fields { line: node.line, entries })
    }

    fn required<'n>(&mut self, fields: &Fields<'n>, key: &str, path: &str) -> Option<&'n Node> {
        let node = fields.get(key);
        if node.is_none() {
            self.error(fields.line, &join(path, key), ErrorKind::MissingField, format!("missing field `{key}`"));
        }
        node
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            NodeValue::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, path, "text");
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.value {
            NodeValue::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, path, "true or false");
                None
            }
        }
    }

    fn count(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<u32> {
        match node.value {
            NodeValue::Int(i) if (min..=max).contains(&i) => u32::try_from(i).ok(),
            NodeValue::Int(i) => {
                self.error(node.line, path, ErrorKind::InvalidValue, format!("is {i}, must be from {min} to {max}"));
                None
            }
            _ => {
                self.wrong_type(node, path, "a whole number");
                None
            }
        }
    }

    pub fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let text = match &node.value {
            NodeValue::Str(s) => s.clone(),
            // `0` is the one duration YAML reads as a number that means something.
            NodeValue::Int(0) => return Some(Duration::ZERO),
            _ => {
                self.error(
                    node.line,
                    path,
                    ErrorKind::BadDuration,
                    format!("expected a duration like `10m`, `1h` or `1d 12h`, got {}", node.type_name()),
                );
                return None;
            }
        };
        match humantime::parse_duration(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(
                    node.line,
                    path,
                    ErrorKind::BadDuration,
                    format!("invalid duration `{text}`: {e} (write e.g. `30s`, `10m`, `1h`, `1d 12h`)"),
                );
                None
            }
        }
    }

    pub fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            NodeValue::Seq(items) => Some(items),
            _ => {
                self.wrong_type(node, path, "a list");
                None
            }
        }
    }

    /// One of a fixed set of words.
    pub fn word<T>(&mut self, node: &Node, path: &str, names: &[&str], parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        let text = self.string(node, path)?;
        let parsed = parse(&text);
        if parsed.is_none() {
            self.error(
                node.line,
                path,
                ErrorKind::InvalidValue,
                format!(
                    "unknown value `{text}`{} (expected one of {})",
                    did_you_mean(&text, names.iter().copied()),
                    names.join(", ")
                ),
            );
        }
        parsed
    }
}

/// Decodes a policy document. Broken parts are reported and replaced by defaults so the rest is still
/// checked; the model is only compiled if the decoder reported nothing.
pub(crate) fn decode_policy(d: &mut Decoder<'_>, root: &Node) -> Option<PolicyModel> {
    let fields = d.fields(root, "", POLICY_KEYS)?;

    let id_node = d.required(&fields, "id", "");
    let id = id_node.and_then(|n| d.string(n, "id")).unwrap_or_default();
    let id_line = id_node.map_or(fields.line, |n| n.line);
    if id_node.is_some_and(|n| n.as_str().is_some()) && !valid_id(&id) {
        d.error(
            id_line,
            "id",
            ErrorKind::InvalidValue,
            format!("`{id}` is not a policy id: use 1 to 64 lower-case letters, digits and `_`"),
        );
    }

    let name = d.required(&fields, "name", "").and_then(|n| d.string(n, "name")).unwrap_or_default();
    if name.trim().is_empty() && fields.get("name").is_some_and(|n| n.as_str().is_some()) {
        d.error(
            fields.get("name").map_or(fields.line, |n| n.line),
            "name",
            ErrorKind::InvalidValue,
            "must not be empty",
        );
    }
    let description = match fields.get("description") {
        Some(n) => Spanned { value: d.string(n, "description").unwrap_or_default(), line: n.line },
        None => Spanned { value: String::new(), line: fields.line },
    };
    let severity = match d.required(&fields, "severity", "") {
        Some(n) => decode_severity(d, n),
        None => SeverityModel { default: Severity::Medium, rules: Vec::new() },
    };
    let enabled = fields.get("enabled").and_then(|n| d.boolean(n, "enabled")).unwrap_or(true);
    let apps = fields.get("apps").map(|n| decode_apps(d, n)).unwrap_or_default();
    let filter = d.required(&fields, "filter", "").and_then(|n| decode_filter(d, n, "filter"));
    let matching = match fields.get("match") {
        Some(n) => decode_match(d, n),
        None => MatchModel { mode: MatchMode::Single, per: vec![Per::User], per_fields: Vec::new() },
    };
    let alert = match d.required(&fields, "alert", "") {
        Some(n) => decode_alert(d, n),
        None => AlertModel::empty(fields.line),
    };
    let governance = fields.get("governance").map(|n| decode_governance(d, n)).unwrap_or_default();
    let tests = fields.get("tests").map(|n| decode_tests(d, n)).unwrap_or_default();

    Some(PolicyModel {
        id,
        id_line,
        name,
        description,
        severity,
        enabled,
        apps,
        filter,
        matching,
        alert,
        governance,
        tests,
    })
}

fn severity_word(d: &mut Decoder<'_>, node: &Node, path: &str) -> Option<Severity> {
    d.word(node, path, SEVERITY_NAMES, |s| Severity::from_str(s).ok())
}

/// `severity: high`, or `{default: medium, rules: [{when: {filter}, severity: high}, …]}`.
fn decode_severity(d: &mut Decoder<'_>, node: &Node) -> SeverityModel {
    let mut model = SeverityModel { default: Severity::Medium, rules: Vec::new() };
    if !matches!(node.value, NodeValue::Map(_)) {
        if let NodeValue::Str(_) = node.value {
            model.default = severity_word(d, node, "severity").unwrap_or(Severity::Medium);
        } else {
            d.wrong_type(node, "severity", "a severity (informational … critical) or {default, rules}");
        }
        return model;
    }
    let Some(fields) = d.fields(node, "severity", SEVERITY_KEYS) else { return model };
    if let Some(n) = d.required(&fields, "default", "severity") {
        model.default = severity_word(d, n, "severity.default").unwrap_or(Severity::Medium);
    }
    let Some(rules_node) = d.required(&fields, "rules", "severity") else { return model };
    let Some(items) = d.list(rules_node, "severity.rules") else { return model };
    if items.is_empty() {
        d.error(
            rules_node.line,
            "severity.rules",
            ErrorKind::InvalidValue,
            "needs at least one rule (or write `severity: <level>`)",
        );
    }
    for (i, item) in items.iter().enumerate() {
        let path = format!("severity.rules[{i}]");
        let Some(rule) = d.fields(item, &path, SEVERITY_RULE_KEYS) else { continue };
        let when = d.required(&rule, "when", &path).and_then(|n| decode_filter(d, n, &join(&path, "when")));
        let level = d.required(&rule, "severity", &path).and_then(|n| severity_word(d, n, &join(&path, "severity")));
        if let (Some(when), Some(level)) = (when, level) {
            model.rules.push((when, level));
        }
    }
    model
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn decode_apps(d: &mut Decoder<'_>, node: &Node) -> Vec<App> {
    let Some(items) = d.list(node, "apps") else { return Vec::new() };
    let mut apps = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("apps[{i}]");
        if let Some(app) = d.word(item, &path, &["slack", "zendesk"], |s| App::from_str(s).ok())
            && !apps.contains(&app)
        {
            apps.push(app);
        }
    }
    apps
}

/// A filter node: `{all: […]}`, `{any: […]}`, `{not: {…}}` or a leaf `{field, op, value}`.
pub(crate) fn decode_filter(d: &mut Decoder<'_>, node: &Node, path: &str) -> Option<FilterModel> {
    let NodeValue::Map(entries) = &node.value else {
        d.wrong_type(node, path, "a filter: {field, op, value} or one of all / any / not");
        return None;
    };
    let combinators: Vec<&(Key, Node)> =
        entries.iter().filter(|(k, _)| matches!(k.name.as_str(), "all" | "any" | "not")).collect();
    if combinators.is_empty() {
        return decode_leaf(d, node, path);
    }
    let mut valid = true;
    for (key, _) in entries {
        if !matches!(key.name.as_str(), "all" | "any" | "not") {
            valid = false;
            let message = if LEAF_KEYS.contains(&key.name.as_str()) {
                format!(
                    "`{}` next to `{}`: a filter node is either {{field, op, value}} or one of all / any / not; nest the leaf inside it",
                    key.name, combinators[0].0.name
                )
            } else {
                format!("unknown field `{}` (expected one of all, any, not, field, op, value)", key.name)
            };
            d.error(key.line, &join(path, &key.name), ErrorKind::UnknownField, message);
        }
    }
    if combinators.len() > 1 {
        d.error(
            combinators[1].0.line,
            &join(path, &combinators[1].0.name),
            ErrorKind::InvalidValue,
            format!("one combinator per filter node: nest `{}` inside an `all` instead", combinators[1].0.name),
        );
        valid = false;
    }
    let (key, child) = combinators[0];
    let child_path = join(path, &key.name);
    let decoded = match key.name.as_str() {
        "not" => decode_filter(d, child, &child_path).map(|f| FilterModel::Not(Box::new(f))),
        combinator => {
            let items = d.list(child, &child_path)?;
            if items.is_empty() {
                d.error(child.line, &child_path, ErrorKind::InvalidValue, "needs at least one filter");
                return None;
            }
            let mut children = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if let Some(f) = decode_filter(d, item, &format!("{child_path}[{i}]")) {
                    children.push(f);
                }
            }
            if children.len() != items.len() {
                return None;
            }
            Some(if combinator == "all" { FilterModel::All(children) } else { FilterModel::Any(children) })
        }
    };
    if valid { decoded } else { None }
}

fn decode_leaf(d: &mut Decoder<'_>, node: &Node, path: &str) -> Option<FilterModel> {
    let before = d.errors.len();
    let fields = d.fields(node, path, LEAF_KEYS)?;
    let field_node = d.required(&fields, "field", path);
    let field = field_node.and_then(|n| d.string(n, &join(path, "field")));
    let op_node = d.required(&fields, "op", path);
    let op = op_node.and_then(|n| d.string(n, &join(path, "op")));
    let value = fields.get("value").cloned();
    if value.is_none() && op.as_deref().is_some_and(|op| op != "exists") {
        d.error(fields.line, &join(path, "value"), ErrorKind::MissingField, "missing field `value`");
    }
    if d.errors.len() != before {
        return None;
    }
    let (Some(field), Some(field_node), Some(op), Some(op_node)) = (field, field_node, op, op_node) else {
        return None;
    };
    Some(FilterModel::Leaf(LeafModel {
        path: path.to_string(),
        field: Spanned { value: field, line: field_node.line },
        op: Spanned { value: op, line: op_node.line },
        value,
    }))
}

fn decode_match(d: &mut Decoder<'_>, node: &Node) -> MatchModel {
    let mut model = MatchModel { mode: MatchMode::Single, per: vec![Per::User], per_fields: Vec::new() };
    let Some(fields) = d.fields(node, "match", MATCH_KEYS) else { return model };
    let repeated = fields
        .get("mode")
        .and_then(|n| {
            d.word(n, "match.mode", &["single", "repeated"], |s| {
                matches!(s, "single" | "repeated").then(|| s == "repeated")
            })
        })
        .unwrap_or(false);
    if let Some(per_node) = fields.get("per")
        && let Some(items) = d.list(per_node, "match.per")
    {
        let mut per = Vec::new();
        let mut per_fields: Vec<Spanned<String>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("match.per[{i}]");
            let Some(name) = d.string(item, &path) else { continue };
            if let Some(p) = Per::parse(&name) {
                if !per.contains(&p) {
                    per.push(p);
                }
            } else if name != "actor.group" && Field::parse(&name).is_some() {
                if !per_fields.iter().any(|f| f.value == name) {
                    per_fields.push(Spanned { value: name, line: item.line });
                }
            } else {
                let known = Per::NAMES.iter().chain(FIELD_NAMES).copied().filter(|n| *n != "actor.group");
                d.error(
                    item.line,
                    &path,
                    ErrorKind::UnknownFieldPath,
                    format!(
                        "`{name}` is neither user, app, ip, tenant nor an activity field{} (count per any field of \
                         the filter's list except actor.group, e.g. target.id or raw.details.user_id)",
                        did_you_mean(&name, known)
                    ),
                );
            }
        }
        if items.is_empty() {
            d.error(
                per_node.line,
                "match.per",
                ErrorKind::InvalidValue,
                "name at least one of user, app, ip, tenant or an activity field",
            );
        }
        per.sort();
        // Only fields: the count is kept per field value across the tenant, as `per: [tenant, …]` would.
        if per.is_empty() && !per_fields.is_empty() {
            per.push(Per::Tenant);
        }
        model.per = per;
        model.per_fields = per_fields;
    }
    if repeated {
        let count = d
            .required(&fields, "count", "match")
            .and_then(|n| d.count(n, "match.count", 1, i64::from(MAX_COUNT)))
            .unwrap_or(1);
        let within_node = d.required(&fields, "within", "match");
        let within = within_node.and_then(|n| d.duration(n, "match.within")).unwrap_or(Duration::from_secs(1));
        if let Some(n) = within_node
            && within.is_zero()
        {
            d.error(n.line, "match.within", ErrorKind::InvalidValue, "must be longer than 0s");
        }
        model.mode = MatchMode::Repeated { count, within };
    } else {
        for key in ["count", "within"] {
            if let Some(n) = fields.get(key) {
                d.error(
                    n.line,
                    &format!("match.{key}"),
                    ErrorKind::InvalidValue,
                    format!("`{key}` applies to `mode: repeated` only"),
                );
            }
        }
    }
    model
}

impl AlertModel {
    fn empty(line: usize) -> AlertModel {
        AlertModel {
            title: Spanned { value: String::new(), line },
            dedup: Duration::ZERO,
            daily_limit: DEFAULT_DAILY_LIMIT,
            captures: Vec::new(),
            maps: Vec::new(),
            conditions: Vec::new(),
        }
    }
}

/// A name templates refer to: a word of letters, digits and `_`, starting with a letter.
pub(crate) fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn name_key(d: &mut Decoder<'_>, key: &Key, path: &str) -> bool {
    let ok = valid_name(&key.name);
    if !ok {
        d.error(
            key.line,
            &join(path, &key.name),
            ErrorKind::InvalidValue,
            format!("`{}` is not a name: use letters, digits and `_`, starting with a letter", key.name),
        );
    }
    ok
}

fn decode_captures(d: &mut Decoder<'_>, node: &Node) -> Vec<CaptureModel> {
    let Some(items) = d.list(node, "alert.captures") else { return Vec::new() };
    let mut captures = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("alert.captures[{i}]");
        let Some(fields) = d.fields(item, &path, CAPTURE_KEYS) else { continue };
        let field = d
            .required(&fields, "field", &path)
            .and_then(|n| Some(Spanned { value: d.string(n, &join(&path, "field"))?, line: n.line }));
        let regex = d
            .required(&fields, "regex", &path)
            .and_then(|n| Some(Spanned { value: d.string(n, &join(&path, "regex"))?, line: n.line }));
        if let (Some(field), Some(regex)) = (field, regex) {
            captures.push(CaptureModel { path, field, regex });
        }
    }
    captures
}

fn decode_maps(d: &mut Decoder<'_>, node: &Node) -> Vec<MapModel> {
    let NodeValue::Map(entries) = &node.value else {
        d.wrong_type(node, "alert.maps", "a mapping of map names to {value: words}");
        return Vec::new();
    };
    let mut maps = Vec::new();
    for (key, value) in entries {
        let path = join("alert.maps", &key.name);
        if !name_key(d, key, "alert.maps") {
            continue;
        }
        let NodeValue::Map(pairs) = &value.value else {
            d.wrong_type(value, &path, "a mapping of values to the words to print");
            continue;
        };
        let mut words = Vec::with_capacity(pairs.len());
        for (from, to) in pairs {
            match &to.value {
                NodeValue::Str(text) => words.push((from.name.clone(), text.clone())),
                NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_) => {
                    words.push((from.name.clone(), to.to_json().to_string()));
                }
                _ => d.wrong_type(to, &join(&path, &from.name), "text"),
            }
        }
        maps.push((Spanned { value: key.name.clone(), line: key.line }, words));
    }
    maps
}

fn decode_conditions(d: &mut Decoder<'_>, node: &Node) -> Vec<(Spanned<String>, FilterModel)> {
    let NodeValue::Map(entries) = &node.value else {
        d.wrong_type(node, "alert.conditions", "a mapping of condition names to filters");
        return Vec::new();
    };
    let mut conditions = Vec::new();
    for (key, value) in entries {
        if !name_key(d, key, "alert.conditions") {
            continue;
        }
        if let Some(filter) = decode_filter(d, value, &join("alert.conditions", &key.name)) {
            conditions.push((Spanned { value: key.name.clone(), line: key.line }, filter));
        }
    }
    conditions
}

fn decode_alert(d: &mut Decoder<'_>, node: &Node) -> AlertModel {
    let mut model = AlertModel::empty(node.line);
    let Some(fields) = d.fields(node, "alert", ALERT_KEYS) else { return model };
    if let Some(n) = d.required(&fields, "title", "alert") {
        model.title = Spanned { value: d.string(n, "alert.title").unwrap_or_default(), line: n.line };
    }
    if let Some(n) = fields.get("dedup") {
        model.dedup = d.duration(n, "alert.dedup").unwrap_or_default();
    }
    if let Some(n) = fields.get("daily_limit") {
        model.daily_limit = d.count(n, "alert.daily_limit", 1, 1_000_000).unwrap_or(DEFAULT_DAILY_LIMIT);
    }
    if let Some(n) = fields.get("captures") {
        model.captures = decode_captures(d, n);
    }
    if let Some(n) = fields.get("maps") {
        model.maps = decode_maps(d, n);
    }
    if let Some(n) = fields.get("conditions") {
        model.conditions = decode_conditions(d, n);
    }
    model
}

fn decode_governance(d: &mut Decoder<'_>, node: &Node) -> Vec<GovernanceAction> {
    let Some(items) = d.list(node, "governance") else { return Vec::new() };
    let mut actions = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("governance[{i}]");
        let Some(fields) = d.fields(item, &path, GOVERNANCE_KEYS) else { continue };
        let action = d
            .required(&fields, "action", &path)
            .and_then(|n| d.word(n, &join(&path, "action"), GovernanceKind::NAMES, GovernanceKind::parse));
        // An action nobody approved must never run by accident: approval unless `automatic` is written.
        let mode = match fields.get("mode") {
            Some(n) => d.word(n, &join(&path, "mode"), GovernanceMode::NAMES, GovernanceMode::parse),
            None => Some(GovernanceMode::Approval),
        };
        if let (Some(action), Some(mode)) = (action, mode) {
            actions.push(GovernanceAction { action, mode });
        }
    }
    actions
}

fn decode_tests(d: &mut Decoder<'_>, node: &Node) -> Vec<TestModel> {
    let Some(items) = d.list(node, "tests") else { return Vec::new() };
    let mut tests = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("tests[{i}]");
        let Some(fields) = d.fields(item, &path, TEST_KEYS) else { continue };
        let name = d
            .required(&fields, "name", &path)
            .and_then(|n| d.string(n, &join(&path, "name")))
            .unwrap_or_else(|| format!("test {}", i + 1));
        let activities = d
            .required(&fields, "activities", &path)
            .and_then(|n| d.list(n, &join(&path, "activities")))
            .map(<[Node]>::to_vec)
            .unwrap_or_default();
        let start = fields.get("start").and_then(|n| {
            let text = d.string(n, &join(&path, "start"))?;
            let parsed = DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.with_timezone(&Utc));
            if parsed.is_none() {
                d.error(
                    n.line,
                    &join(&path, "start"),
                    ErrorKind::InvalidValue,
                    format!("`{text}` is not an RFC 3339 date-time like 2026-01-01T00:00:00Z"),
                );
            }
            parsed
        });
        let interval = fields
            .get("interval")
            .and_then(|n| d.duration(n, &join(&path, "interval")))
            .unwrap_or(Duration::from_secs(60));
        let expect = d
            .required(&fields, "expect", &path)
            .map(|n| decode_expect(d, n, &join(&path, "expect")))
            .unwrap_or_default();
        let zendesk_users = match fields.get("zendesk_users") {
            Some(n) => {
                let users = d.list(n, &join(&path, "zendesk_users")).map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .filter(|(j, item)| {
                            let ok = matches!(item.value, NodeValue::Map(_));
                            if !ok {
                                d.wrong_type(item, &format!("{path}.zendesk_users[{j}]"), "a Zendesk user (a mapping)");
                            }
                            ok
                        })
                        .map(|(_, item)| item.to_json())
                        .collect::<Vec<_>>()
                });
                serde_json::json!({ "users": users.unwrap_or_default() })
            }
            None => serde_json::json!({ "users": [] }),
        };
        tests.push(TestModel { path, line: item.line, name, activities, start, interval, zendesk_users, expect });
    }
    tests
}

fn decode_expect(d: &mut Decoder<'_>, node: &Node, path: &str) -> Expect {
    let mut expect = Expect::default();
    let Some(fields) = d.fields(node, path, EXPECT_KEYS) else { return expect };
    expect.alerts = d
        .required(&fields, "alerts", path)
        .and_then(|n| d.count(n, &join(path, "alerts"), 0, 1_000_000))
        .map_or(0, |n| n as usize);
    if let Some(n) = fields.get("activity_ids") {
        let ids_path = join(path, "activity_ids");
        expect.activity_ids = d.list(n, &ids_path).map(|items| {
            items.iter().enumerate().filter_map(|(i, item)| d.string(item, &format!("{ids_path}[{i}]"))).collect()
        });
    }
    expect.title = fields.get("title").and_then(|n| d.string(n, &join(path, "title")));
    expect.user = fields.get("user").and_then(|n| d.string(n, &join(path, "user")));
    expect.severity = fields.get("severity").and_then(|n| severity_word(d, n, &join(path, "severity")));
    expect.description = fields.get("description").and_then(|n| d.string(n, &join(path, "description")));
    expect
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_one_based_lines_of_keys_and_values() {
        let node = parse_yaml("x.yaml", "id: a\nfilter:\n  all:\n    - {field: action, op: equals, value: x}\n")
            .expect("valid yaml");
        let NodeValue::Map(entries) = &node.value else { panic!("a map") };
        assert_eq!(entries[0].0, Key { name: "id".into(), line: 1 });
        assert_eq!(entries[1].0.line, 2);
        let NodeValue::Map(filter) = &entries[1].1.value else { panic!("a map") };
        let NodeValue::Seq(all) = &filter[0].1.value else { panic!("a list") };
        assert_eq!(all[0].line, 4);
    }

    #[test]
    fn yaml_errors_carry_the_line_and_duplicate_keys_are_rejected() {
        let err = parse_yaml("x.yaml", "id: a\nname: [unclosed\n").expect_err("invalid");
        assert_eq!(err.kind, ErrorKind::Syntax);
        assert!(err.line.is_some());
        let err = parse_yaml("x.yaml", "id: a\nid: b\n").expect_err("duplicate");
        assert_eq!(err.kind, ErrorKind::Syntax);
        let err = parse_yaml("x.yaml", "id: a\n---\nid: b\n").expect_err("two documents");
        assert_eq!(err.line, Some(3));
        assert!(parse_yaml("x.yaml", "").is_err());
    }

    #[test]
    fn scalars_follow_yaml_1_2_core_schema() {
        let node = parse_yaml("x.yaml", "[yes, true, 12, 1.5, ~, '12', 1.2.3.4]").expect("valid");
        let NodeValue::Seq(items) = node.value else { panic!("a list") };
        let values: Vec<NodeValue> = items.into_iter().map(|n| n.value).collect();
        assert_eq!(
            values,
            vec![
                NodeValue::Str("yes".into()),
                NodeValue::Bool(true),
                NodeValue::Int(12),
                NodeValue::Float(1.5),
                NodeValue::Null,
                NodeValue::Str("12".into()),
                NodeValue::Str("1.2.3.4".into()),
            ]
        );
    }
}
