//! Benchmarks of `Policy::decide`, without PHP and without the network: the
//! resolver is a fixed `HashMap`, standing in for the resolver's warm cache.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion};
use sockguard::policy::{
    Caller, Decision, Host, Kind, Operation, Policy, ResolveError, Resolver, Settings, Transport,
};

/// A resolver answering from a map, like a warm cache.
struct CachedResolver(HashMap<String, Vec<IpAddr>>);

impl Resolver for CachedResolver {
    fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, ResolveError> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| ResolveError::NotFound {
                name: name.to_owned(),
            })
    }
}

fn resolver() -> CachedResolver {
    let mut map = HashMap::new();
    map.insert(
        "smtp.gmail.com".to_owned(),
        vec![
            IpAddr::from([142, 250, 102, 108]),
            IpAddr::from([142, 250, 102, 109]),
        ],
    );
    CachedResolver(map)
}

/// 1,000 distinct deny rules over public space, deterministic (an LCG).
fn thousand_deny_rules() -> String {
    let mut x: u32 = 0x1234_5678;
    let mut rules = Vec::with_capacity(1000);
    for i in 0..1000 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let len = 16 + (x >> 28) % 13; // /16 .. /28
        let net = Ipv4Addr::from((x & 0x3fff_ffff) | 0x4000_0000); // 64.0.0.0/2
        let port = if i % 3 == 0 {
            "*".to_owned()
        } else {
            format!("{}", 1 + i % 1000)
        };
        rules.push(format!("{net}/{len}:{port}"));
    }
    rules.join(",")
}

/// A TCP connect to `host`:`port` by one of PHP's own clients.
fn connect(policy: &Policy, host: &Host, port: u16, r: &dyn Resolver) -> Decision {
    let op = Operation::Connect {
        host,
        port,
        kind: Kind::Transport(Transport::Tcp),
    };
    policy.decide(&op, Caller::Client, r)
}

fn bench_decide(c: &mut Criterion) {
    let r = resolver();
    let policy = Policy::new(&Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    let many = Policy::new(&Settings {
        deny: thousand_deny_rules(),
        ..Settings::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));

    let public = Host::Ip(IpAddr::from([93, 184, 215, 14]));
    let public6 = Host::Ip(
        "2606:4700:4700::1111"
            .parse()
            .unwrap_or(IpAddr::from([0; 16])),
    );
    let private = Host::Ip(IpAddr::from([10, 1, 2, 3]));
    let gmail = Host::Name("smtp.gmail.com".to_owned());
    let outside = Host::Ip(IpAddr::from([23, 1, 2, 3])); // not in 64.0.0.0/2

    // Sanity: the cases decide what their names say.
    assert!(connect(&policy, &public, 443, &r).is_allowed());
    assert!(connect(&policy, &public6, 443, &r).is_allowed());
    assert!(!connect(&policy, &private, 80, &r).is_allowed());
    assert!(connect(&policy, &gmail, 465, &r).is_allowed());
    assert!(connect(&many, &outside, 443, &r).is_allowed());

    c.bench_function("decide/ip-literal-public", |b| {
        b.iter(|| connect(&policy, black_box(&public), black_box(443), &r));
    });
    c.bench_function("decide/ipv6-literal-public", |b| {
        b.iter(|| connect(&policy, black_box(&public6), black_box(443), &r));
    });
    c.bench_function("decide/ip-literal-blocked", |b| {
        b.iter(|| connect(&policy, black_box(&private), black_box(80), &r));
    });
    c.bench_function("decide/allowlisted-host-465", |b| {
        b.iter(|| connect(&policy, black_box(&gmail), black_box(465), &r));
    });
    c.bench_function("decide/1000-deny-cidrs-miss", |b| {
        b.iter(|| connect(&many, black_box(&outside), black_box(443), &r));
    });
    c.bench_function("decide/1000-deny-cidrs-probe", |b| {
        let mut x: u32 = 7;
        b.iter(|| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let host = Host::Ip(IpAddr::from(Ipv4Addr::from(
                (x & 0x3fff_ffff) | 0x4000_0000,
            )));
            connect(&many, black_box(&host), black_box(443), &r)
        });
    });
}

/// One decision counted for sockguard_metrics(): the probe of the series
/// table and its atomic add (the hooks add the label lookups, which the
/// callgrind table counts).
fn bench_count(c: &mut Criterion) {
    use sockguard::metrics::{Series, Table, TransportLabel};
    let table = Box::new(Table::new());
    let app = table.app("shop");
    let function = table.function(b"fsockopen");
    let tcp = TransportLabel::of_transport(Some(sockguard::policy::Transport::Tcp));
    c.bench_function("metrics/count-allowed", |b| {
        b.iter(|| table.count(black_box(Series::allowed(app, function, tcp))));
    });
}

criterion_group!(benches, bench_decide, bench_count);
criterion_main!(benches);
