//! digests compute and compare.

use super::*;

pub(crate) fn run_digests(command: DigestsCommand) -> Result<Outcome, Failure> {
    let load_rebuild = |path: &std::path::Path| Rebuild::load(path).map_err(Failure::from);
    match command {
        DigestsCommand::Compute { out_dir, output } => {
            let rebuild = load_rebuild(&out_dir)?;
            let files = rebuild.checked_digests_files()?;
            match output {
                None => {
                    for (name, bytes) in &files {
                        println!("# {name}");
                        print!("{}", String::from_utf8_lossy(bytes));
                    }
                }
                Some(dir) => {
                    let cannot = |e: quorate::fs::confine::ConfineError| {
                        Failure::input(format!("cannot write the digests: {e}"))
                    };
                    let out = quorate::fs::confine::output_dir(&dir).map_err(cannot)?;
                    // The directory then holds exactly this release: a digests file of an
                    // earlier run that this build no longer produces would still be read as
                    // part of the release.
                    let stale: Vec<std::ffi::OsString> = out
                        .entries()
                        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?
                        .into_iter()
                        .filter(|(name, kind)| {
                            let path = std::path::Path::new(name);
                            *kind == quorate::fs::path::Kind::File
                                && path
                                    .extension()
                                    .is_some_and(|e| e == "txt" || e == "platforms")
                                && !files.contains_key(name.to_string_lossy().as_ref())
                        })
                        .map(|(name, _)| name)
                        .collect();
                    // Every file is checked before the first is written: all or nothing.
                    for name in files.keys() {
                        out.check_replaceable(name.as_ref()).map_err(cannot)?;
                    }
                    for (name, bytes) in &files {
                        out.write_atomic(name.as_ref(), bytes).map_err(cannot)?;
                        println!("wrote {}", dir.join(name).display());
                    }
                    for name in &stale {
                        let path = dir.join(name);
                        out.remove(name)
                            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
                        println!("removed {} (not in this build)", path.display());
                    }
                }
            }
            Ok(Outcome::Passed)
        }
        DigestsCommand::Compare { rebuilds } => {
            let loaded = rebuilds
                .iter()
                .map(|p| load_rebuild(p))
                .collect::<Result<Vec<_>, _>>()?;
            let rows = rebuild::compare(&loaded);
            print_comparison(&rows);
            let agree = rows.iter().all(|r| r.agreement == Agreement::Agree);
            if !agree {
                print_diffs(&loaded);
            }
            Ok(Outcome::passed_if(agree))
        }
    }
}

fn print_comparison(rows: &[rebuild::Row]) {
    let groups = |groups: &[rebuild::Group]| {
        groups
            .iter()
            .map(|g| {
                // Where only other platforms differ, the first digest is the same in every
                // group: quote every platform's, so the one that differs is shown.
                let got = if g.others_differ {
                    g.platforms
                        .iter()
                        .map(|(p, d)| match p {
                            Some(p) => format!("{d} ({p})"),
                            None => d.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    g.first.to_string()
                };
                format!("{}: {got}", g.members.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let width = rows
        .iter()
        .map(|r| columns::width(&r.package))
        .max()
        .unwrap_or(0)
        .max("PACKAGE".len());
    println!("{:<width$}  RESULT   DETAIL", "PACKAGE");
    for row in rows {
        let (result, detail) = match &row.agreement {
            Agreement::Agree => ("agree", String::new()),
            Agreement::Differ(g) => ("differ", groups(g)),
            Agreement::Missing { present, absent } => (
                "missing",
                format!("not in {}; {}", absent.join(", "), groups(present)),
            ),
        };
        println!(
            "{}",
            format!(
                "{}  {result:<7}  {detail}",
                columns::pad(&row.package, width)
            )
            .trim_end()
        );
    }
    let count = |f: fn(&Agreement) -> bool| rows.iter().filter(|r| f(&r.agreement)).count();
    println!(
        "{} agree, {} differ, {} missing",
        count(|a| *a == Agreement::Agree),
        count(|a| matches!(a, Agreement::Differ(_))),
        count(|a| matches!(a, Agreement::Missing { .. }))
    );
}

/// A unified diff of each rebuild's digests files against the first rebuild's.
fn print_diffs(rebuilds: &[Rebuild]) {
    let Some((first, rest)) = rebuilds.split_first() else {
        return;
    };
    let base = first.digests_files();
    for other in rest {
        let theirs = other.digests_files();
        let mut names: Vec<&String> = base.keys().chain(theirs.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let a = base
                .get(name)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let b = theirs
                .get(name)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if a != b {
                let diff = similar::TextDiff::from_lines(&a, &b);
                print!(
                    "{}",
                    diff.unified_diff().context_radius(1).header(
                        &format!("{}/{name}", first.label),
                        &format!("{}/{name}", other.label)
                    )
                );
            }
        }
    }
}
