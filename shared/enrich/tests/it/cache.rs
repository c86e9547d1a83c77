use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use saaswarden_core::config::EnrichmentSettings;
use saaswarden_enrich::IpIntel;

use crate::support::{all_databases, ip, load};

fn with_cache(size: usize) -> IpIntel {
    load(&EnrichmentSettings { cache_size: Some(size), ..all_databases() })
}

fn nth_ip(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x5a00_0000 + n))
}

#[test]
fn repeated_lookups_return_the_same_cached_facts() {
    let intel = with_cache(100);
    let first = intel.lookup(ip("81.2.69.142"));
    let again = intel.lookup(ip("81.2.69.142"));
    assert!(Arc::ptr_eq(&first, &again));
    // The IPv4-mapped form is the same IP and shares the entry.
    assert!(Arc::ptr_eq(&first, &intel.lookup(ip("::ffff:81.2.69.142"))));
    assert_eq!(intel.cached(), 1);
}

#[test]
fn the_cache_stays_within_its_size_when_filled_past_it() {
    for size in [2, 3, 10, 101] {
        let intel = with_cache(size);
        for n in 0..1_000 {
            intel.lookup(nth_ip(n));
            assert!(intel.cached() <= size, "size {size}: {} cached after {n} lookups", intel.cached());
        }
        assert!(intel.cached() >= size / 2, "size {size}: the cache is used");
    }
}

#[test]
fn an_ip_in_use_stays_cached_while_the_cache_turns_over() {
    let intel = with_cache(10);
    let office = intel.lookup(ip("89.160.20.130"));
    for n in 0..500 {
        intel.lookup(nth_ip(n));
        assert!(Arc::ptr_eq(&office, &intel.lookup(ip("89.160.20.130"))), "evicted after {n} other IPs");
    }
}

#[test]
fn a_cache_size_of_zero_turns_caching_off_but_lookups_still_answer() {
    let intel = with_cache(0);
    let first = intel.lookup(ip("81.2.69.142"));
    let again = intel.lookup(ip("81.2.69.142"));
    assert!(!Arc::ptr_eq(&first, &again));
    assert_eq!(first, again);
    assert!(first.geo.is_some());
    assert_eq!(intel.cached(), 0);
}

#[test]
fn lookups_from_many_threads_agree() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<IpIntel>();

    let intel = with_cache(64);
    let expected = intel.lookup(ip("175.16.199.5")).as_ref().clone();
    std::thread::scope(|scope| {
        for t in 0..4u32 {
            let intel = &intel;
            let expected = &expected;
            scope.spawn(move || {
                for n in 0..2_000 {
                    intel.lookup(nth_ip(t * 10_000 + n));
                    assert_eq!(*intel.lookup(ip("175.16.199.5")), *expected);
                }
            });
        }
    });
    assert!(intel.cached() <= 64);
}
