//! publish: the lookaside as podman reads it, from a revision, into a served directory.

use quorate::ops::publish::{self, PublishOptions};

use std::path::Path;

use super::*;

pub(crate) fn run_publish(
    options: &WorkspaceOptions,
    args: PublishArgs,
) -> Result<Outcome, Failure> {
    let workspace = Workspace::load_at(options, &args.at).map_err(|e| match e {
        WorkspaceError::Revision { .. } => Failure::from(e).prefixed("--at "),
        _ => Failure::from(e),
    })?;
    print_warnings(&workspace);
    let published = publish::publish(
        &workspace,
        &PublishOptions {
            target: args.dir.clone(),
        },
    )?;
    let shown = workspace.display_path(&args.dir);
    let line =
        |what: &str, path: &str| println!("{what} {}", Path::new(&shown).join(path).display());
    for path in &published.added {
        line("added", path);
    }
    for path in &published.replaced {
        line("replaced", path);
    }
    for path in &published.removed {
        line("removed", path);
    }
    let summary = format!(
        "{} ({}) of {}",
        plural(published.images, "image"),
        plural(published.files, "signature"),
        workspace.source.describe()
    );
    if published.unchanged() {
        println!("unchanged: {shown} already serves {summary}");
    } else {
        println!(
            "published {summary} to {shown}: {} added, {} replaced, {} removed",
            published.added.len(),
            published.replaced.len(),
            published.removed.len()
        );
    }
    Ok(Outcome::Passed)
}
