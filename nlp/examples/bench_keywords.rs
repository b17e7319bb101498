//! Keyword extraction throughput over the demo corpus repeated to N texts,
//! on every core (scripts/bench-keywords.sh compares it with Python jieba).
//! `cargo run --release -p nlp --example bench_keywords -- 200000`
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let texts = nlp::corpus::texts();
    let batch: Vec<&str> = texts.iter().map(String::as_str).cycle().take(n).collect();
    let a = nlp::Analyzer::shipped();
    a.keywords(batch[0], 10); // load dictionary and IDF outside the timing
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let start = Instant::now();
    let found: usize = std::thread::scope(|s| {
        let chunks = batch.chunks(batch.len().div_ceil(threads));
        let handles: Vec<_> = chunks
            .map(|chunk| {
                s.spawn(move || chunk.iter().map(|t| a.keywords(t, 10).len()).sum::<usize>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let secs = start.elapsed().as_secs_f64();
    eprintln!("{n} texts, {found} keywords, {threads} threads, {secs:.3} s");
    println!("{:.1}", n as f64 / secs);
}
