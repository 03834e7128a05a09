package io.parhelia.cli;

import io.parhelia.engine.audit.AuditVerifier;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parhelia audit verify}: checks the audit log's hash chain. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "The audit log in $PARHELIA_HOME/audit/: a JSON line per tool call and refused HTTP request.",
        subcommands = AuditCommand.Verify.class)
final class AuditCommand {

    @ParentCommand
    Main parent;

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Walks the chain of every line's SHA-256 from the first file to the last and reports the first "
                    + "line that does not link to the one before it (changed, removed or cut short); exits 1 then.",
                    "Removing lines at the very end cannot show in the chain: keep the printed head hash elsewhere "
                            + "and compare it later."})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        AuditCommand audit;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            var directory = audit.parent.config().paths().audit();
            AuditVerifier.Verification verification = AuditVerifier.verify(directory);
            if (verification.ok()) {
                out.printf("audit log OK: %d file(s), %d line(s) in %s%n", verification.files(), verification.lines(), directory);
                out.printf("head: %s%n", verification.head());
                return 0;
            }
            AuditVerifier.Break broken = verification.broken();
            out.printf("audit log BROKEN at %s line %d: it %s%n", broken.file(), broken.line(), broken.problem());
            out.printf("  expected prev: %s%n", broken.expected());
            out.printf("  found prev:    %s%n", broken.found() == null ? "(none)" : broken.found());
            out.printf("the %d line(s) before it hold; %s has %d file(s)%n", verification.lines() - 1, directory,
                    verification.files());
            return 1;
        }
    }
}
