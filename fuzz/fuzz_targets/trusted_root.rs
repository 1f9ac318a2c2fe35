#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorate::fuzz_entry::trusted_root(data);
});
