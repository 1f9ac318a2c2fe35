#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorate::fuzz_entry::sigstore_bundle(data);
});
