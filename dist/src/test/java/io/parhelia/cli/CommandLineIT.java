package io.parhelia.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `parhelia` command's own verbs, through the built launcher. */
class CommandLineIT {

    record Run(int exitCode, String stdout, String stderr) {
    }

    @TempDir
    Path home;

    private Run run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ParheliaHomeFixture.LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("PARHELIA_HOME", home.toString());
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        Process p = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void versionAndHelpNameTheCommands() throws Exception {
        Run version = run("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.stdout()).matches("parhelia \\d+\\.\\d+\\.\\d+\\S* \\(Java .*\\)\\R");

        Run help = run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("mcp-server").contains("doctor").contains("--home").contains("--set");
    }

    @Test
    void doctorPassesWhenEverythingIsThereAndSaysHowToFixWhatIsNot() throws Exception {
        new ParheliaHomeFixture(home);
        Run healthy = run("doctor");
        assertThat(healthy.exitCode()).as(healthy.stdout()).isZero();
        assertThat(healthy.stdout()).contains("ok   tmux").contains("ok   store").contains("All checks passed.");

        Run missingAgent = run("--set", "agent.command=[\"no-such-agent-binary\", \"{prompt}\"]", "doctor");
        assertThat(missingAgent.exitCode()).isEqualTo(1);
        assertThat(missingAgent.stdout()).contains("FAIL agent command").contains("no-such-agent-binary is not on PATH")
                .contains("fix: install Claude Code").contains("1 check(s) failed.");
    }

    @Test
    void aConfigurationMistakeIsNamedAndNothingStarts() throws Exception {
        Files.writeString(home.resolve("config.toml"), "[reconciler]\ninterval_secs = 5\n");
        Run typo = run("mcp-server");
        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.stdout()).isEmpty();
        assertThat(typo.stderr()).contains("unknown configuration key 'reconciler.interval_secs'")
                .contains("reconciler.interval_seconds");

        Files.delete(home.resolve("config.toml"));
        Run badMode = run("--set", "runtime.local.mode=docker", "doctor");
        assertThat(badMode.exitCode()).isEqualTo(2);
        assertThat(badMode.stderr()).contains("runtime.local.mode must be auto, tmux or setsid, got 'docker'")
                .doesNotContain("\tat ");
    }

    @Test
    void theTarballShipsTheLauncherLibrariesAndDocumentedDefaults() throws IOException {
        Path dist = ParheliaHomeFixture.LAUNCHER.getParent().getParent();
        assertThat(Files.isExecutable(dist.resolve("bin/parhelia"))).isTrue();
        assertThat(Files.readString(dist.resolve("conf/config.toml"))).contains("[agent]").contains("interval_seconds = 3");
        try (var jars = Files.list(dist.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("mcp-core-2.1.0")).anyMatch(n -> n.startsWith("parhelia-dist-"));
        }
        Path tarball = dist.getParent().getParent().resolve(dist.getFileName() + ".tar.gz");
        assertThat(tarball).isRegularFile();
    }
}
