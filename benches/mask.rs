//! Masking throughput: wscore against fastwebsockets' word loop (the one
//! tungstenite uses too) and `copy_from_slice` as the memory-bandwidth limit.
//!
//! `cargo bench --bench mask`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn mask(c: &mut Criterion) {
    for (name, size) in [
        ("64B", 64),
        ("1KiB", 1 << 10),
        ("64KiB", 64 << 10),
        ("1MiB", 1 << 20),
    ] {
        let mut group = c.benchmark_group(format!("mask/{name}"));
        group.throughput(Throughput::Bytes(size as u64));
        let mut buf = vec![0x5a_u8; size];
        let source = vec![0xa5_u8; size];
        group.bench_function("wscore", |b| {
            b.iter(|| wscore::mask::apply_mask(black_box(&mut buf), black_box(KEY), 0))
        });
        group.bench_function("fastwebsockets", |b| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), black_box(KEY)))
        });
        group.bench_function("memcpy", |b| {
            b.iter(|| black_box(&mut buf).copy_from_slice(black_box(&source)))
        });
        group.finish();
    }
}

criterion_group!(benches, mask);
criterion_main!(benches);
