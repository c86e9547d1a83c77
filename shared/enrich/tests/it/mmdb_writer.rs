//! A minimal MaxMind DB writer for test fixtures that no downloadable test file provides (the flat DB-IP
//! City Lite layout). It follows the MaxMind DB format 2.0: a binary search tree of 24-bit records, 16
//! zero bytes, a data section of self-describing values (no pointers, no deduplication), then the metadata
//! marker and the metadata map.

use std::net::IpAddr;

use ipnet::IpNet;

/// A data-section value, with the MaxMind DB type it is written as.
#[derive(Debug, Clone)]
pub enum Value {
    Str(&'static str),
    Double(f64),
    Float(f32),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(&'static str, Value)>),
    Array(Vec<Value>),
}

pub fn map(entries: &[(&'static str, Value)]) -> Value {
    Value::Map(entries.to_vec())
}

#[derive(Debug, Clone, Copy)]
enum Record {
    Empty,
    Node(usize),
    Data(usize),
}

pub struct MmdbWriter {
    database_type: &'static str,
    ip_version: u16,
    networks: Vec<(IpNet, Value)>,
}

impl MmdbWriter {
    /// `ip_version` 4 holds IPv4 networks only; 6 holds both, IPv4 under `::/96` as MaxMind's files do.
    pub fn new(database_type: &'static str, ip_version: u16) -> MmdbWriter {
        assert!(ip_version == 4 || ip_version == 6);
        MmdbWriter { database_type, ip_version, networks: Vec::new() }
    }

    pub fn insert(mut self, network: &str, value: Value) -> MmdbWriter {
        let network: IpNet = network.parse().expect("test network parses");
        assert!(self.ip_version == 6 || matches!(network, IpNet::V4(_)), "IPv6 network in an IPv4 database");
        self.networks.push((network, value));
        self
    }

    pub fn build(mut self) -> Vec<u8> {
        // Less specific first, so that a more specific network splits the record it falls in.
        self.networks.sort_by_key(|(network, _)| network.prefix_len());
        let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty, Record::Empty]];
        let mut data = Vec::new();
        let mut data_offsets = Vec::new();
        for (index, (network, value)) in self.networks.iter().enumerate() {
            data_offsets.push(data.len());
            encode(value, &mut data);
            let bits = self.path_bits(network);
            let mut node = 0;
            for (depth, bit) in bits.iter().enumerate() {
                let last = depth + 1 == bits.len();
                let side = usize::from(*bit);
                if last {
                    nodes[node][side] = Record::Data(index);
                    break;
                }
                node = match nodes[node][side] {
                    Record::Node(next) => next,
                    split @ (Record::Empty | Record::Data(_)) => {
                        nodes.push([split, split]);
                        let next = nodes.len() - 1;
                        nodes[node][side] = Record::Node(next);
                        next
                    }
                };
            }
        }
        let node_count = nodes.len();
        assert!(node_count + 16 + data.len() < 1 << 24, "fixture too large for 24-bit records");
        let mut out = Vec::new();
        for node in &nodes {
            for record in node {
                let value = match *record {
                    Record::Empty => node_count,
                    Record::Node(next) => next,
                    Record::Data(index) => node_count + 16 + data_offsets[index],
                };
                out.extend_from_slice(&(value as u32).to_be_bytes()[1..]);
            }
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xab\xcd\xefMaxMind.com");
        let metadata = map(&[
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_790_000_000)),
            ("database_type", Value::Str(self.database_type)),
            ("description", map(&[("en", Value::Str("saaswarden test fixture"))])),
            ("ip_version", Value::U16(self.ip_version)),
            ("languages", Value::Array(vec![Value::Str("en")])),
            ("node_count", Value::U32(node_count as u32)),
            ("record_size", Value::U16(24)),
        ]);
        encode(&metadata, &mut out);
        out
    }

    /// The network's bits from the most significant, IPv4 under `::/96` in an IPv6 tree.
    fn path_bits(&self, network: &IpNet) -> Vec<bool> {
        let (address, width, prefix): (u128, u32, u8) = match (network.network(), self.ip_version) {
            (IpAddr::V4(a), 4) => (u128::from(u32::from(a)), 32, network.prefix_len()),
            (IpAddr::V4(a), _) => (u128::from(u32::from(a)), 128, network.prefix_len() + 96),
            (IpAddr::V6(a), _) => (u128::from(a), 128, network.prefix_len()),
        };
        (0..prefix).map(|i| (address >> (width - 1 - u32::from(i))) & 1 == 1).collect()
    }
}

fn control(out: &mut Vec<u8>, type_number: u8, size: usize) {
    let (first, extended) = if type_number <= 7 { (type_number << 5, None) } else { (0, Some(type_number - 7)) };
    let (size_bits, extra): (u8, Vec<u8>) = match size {
        0..=28 => (size as u8, vec![]),
        29..=284 => (29, vec![(size - 29) as u8]),
        285..=65_820 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    out.push(first | size_bits);
    out.extend(extended);
    out.extend(extra);
}

fn unsigned(out: &mut Vec<u8>, type_number: u8, value: u64, width: usize) {
    let bytes = value.to_be_bytes();
    let significant: Vec<u8> = bytes[8 - width..].iter().copied().skip_while(|b| *b == 0).collect();
    control(out, type_number, significant.len());
    out.extend(significant);
}

fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Str(s) => {
            control(out, 2, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Double(d) => {
            control(out, 3, 8);
            out.extend_from_slice(&d.to_be_bytes());
        }
        Value::U16(n) => unsigned(out, 5, u64::from(*n), 2),
        Value::U32(n) => unsigned(out, 6, u64::from(*n), 4),
        Value::Map(entries) => {
            control(out, 7, entries.len());
            for (key, value) in entries {
                encode(&Value::Str(key), out);
                encode(value, out);
            }
        }
        Value::U64(n) => unsigned(out, 9, *n, 8),
        Value::Array(items) => {
            control(out, 11, items.len());
            for item in items {
                encode(item, out);
            }
        }
        Value::Float(f) => {
            control(out, 15, 4);
            out.extend_from_slice(&f.to_be_bytes());
        }
    }
}
