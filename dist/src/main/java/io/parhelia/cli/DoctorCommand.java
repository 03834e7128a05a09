package io.parhelia.cli;

import io.parhelia.engine.Engine;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.health.Check;
import io.parhelia.engine.health.Diagnostics;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check that this machine can run Parhelia, and say how to fix what it cannot.")
final class DoctorCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ParheliaConfig config = parent.config();
        List<Check> checks = Diagnostics.run(config, Engine.runtimes(config));
        PrintWriter out = spec.commandLine().getOut();
        for (Check check : checks) {
            String label = switch (check.status()) {
                case OK -> "ok";
                case WARN -> "warn";
                case FAIL -> "FAIL";
            };
            out.printf("%-4s %-14s %s%n", label, check.name(), check.detail());
            if (check.fix() != null) {
                out.printf("     %-14s fix: %s%n", "", check.fix());
            }
        }
        long failed = checks.stream().filter(Check::failed).count();
        out.println(failed == 0 ? "All checks passed." : failed + " check(s) failed.");
        return failed == 0 ? 0 : 1;
    }
}
