//! Prints the words and keywords Hongcha reads in each argument:
//! `cargo run -p nlp --example keywords -- "楼道里有人拉线充电"`.
fn main() {
    let a = nlp::Analyzer::shipped();
    for line in std::env::args().skip(1) {
        let k = a.keywords(&line, 8);
        println!(
            "{line}\n  {:?}\n  {:?}",
            a.words(&line),
            k.iter()
                .map(|k| format!("{}:{:.2}", k.term, k.weight))
                .collect::<Vec<_>>()
        );
    }
}
