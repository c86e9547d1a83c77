//! The AWS adapters against moto server, on tables and queues deployed from `infra/template.yaml`.
//! One moto server for this binary; one fresh stack per test.

mod activities;
mod detect;
mod events;
mod queue;
mod store;
