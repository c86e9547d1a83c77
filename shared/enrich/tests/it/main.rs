//! Behaviour of the IP enrichment adapter against real MaxMind test databases (data/maxmind-test), IP lists
//! and databases written by the tests themselves.

mod asn;
mod cache;
mod city;
mod enricher;
mod flat_city;
mod lists;
mod load_errors;
mod mmdb_writer;
mod ranges;
mod support;
mod tags;
