// SPDX-License-Identifier: GPL-2.0
//! KUnit suites built into the kernel, run on demand through debugfs (the VM boots with
//! `kunit.autorun=0`).

use super::*;

/// Runs `suite` and returns the names of the test cases that passed. Fails if the suite is
/// missing, or if any case failed or was skipped.
pub fn run(suite: &str) -> Result<Vec<String>> {
    let dir = format!("/sys/kernel/debug/kunit/{suite}");
    if !std::path::Path::new(&dir).is_dir() {
        bail!(
            "no KUnit suite {suite} ({dir}): the kernel needs CONFIG_KUNIT_DEBUGFS and the \
             suite's option from selftests/config"
        );
    }
    fs::write(format!("{dir}/run"), "run").with_context(|| format!("run {suite}"))?;
    let results =
        fs::read_to_string(format!("{dir}/results")).with_context(|| format!("{dir}/results"))?;
    passed(suite, &results)
}

/// The test cases (and the suite) that passed in a KTAP report; an error on any failed or
/// skipped one.
pub fn passed(suite: &str, ktap: &str) -> Result<Vec<String>> {
    let mut passed = Vec::new();
    for line in ktap.lines().map(str::trim) {
        if line.starts_with("not ok") || (line.starts_with("ok ") && line.contains("# SKIP")) {
            bail!("KUnit {suite}: {line}\n{ktap}");
        }
        if let Some((_, name)) = line.strip_prefix("ok ").and_then(|r| r.split_once(' ')) {
            passed.push(name.to_string());
        }
    }
    Ok(passed)
}

#[cfg(test)]
mod tests {
    use super::passed;

    const REPORT: &str = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    \
                          1..2\n    ok 1 case_a\n    ok 2 case_b\nok 1 s\n";

    #[test]
    fn all_passed() {
        assert_eq!(passed("s", REPORT).unwrap(), ["case_a", "case_b", "s"]);
    }

    #[test]
    fn a_failure_or_a_skip_is_an_error() {
        let failed = REPORT.replace("    ok 2 case_b", "    not ok 2 case_b");
        assert!(passed("s", &failed).is_err());
        let skipped = REPORT.replace("ok 2 case_b", "ok 2 case_b # SKIP no provider");
        assert!(passed("s", &skipped).is_err());
    }
}
