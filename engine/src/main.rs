fn main() {
    std::process::exit(poscert_engine::cli::main());
}
