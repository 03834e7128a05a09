package io.parhelia.runtime.podman;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent image the tests use, built from this machine's Debian binaries (no registry is reachable)
 * by src/test/container/build-test-image.sh, once per machine; or why Podman cannot run here.
 */
final class TestImage {

    static final Path FAKE_AGENT = Path.of("..", "testing", "fake-claude").toAbsolutePath().normalize();
    /** Podman's default OCI runtime (crun) fails on cgroups v1 hosts such as CI's; runc works on both. */
    static final String OCI_RUNTIME = Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : "";
    private static final Path BUILDER = Path.of("src", "test", "container", "build-test-image.sh").toAbsolutePath();

    private static String image;
    private static String unavailable;

    private TestImage() {
    }

    /** The image name, or null with {@link #whyUnavailable()} saying why Podman cannot run containers here. */
    static synchronized String image() {
        if (image == null && unavailable == null) {
            try {
                List<String> command = new ArrayList<>(List.of("bash", BUILDER.toString(), FAKE_AGENT.toString()));
                if (!OCI_RUNTIME.isEmpty()) {
                    command.addAll(List.of("--runtime", OCI_RUNTIME));
                }
                Process build = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!build.waitFor(5, TimeUnit.MINUTES) || build.exitValue() != 0) {
                    unavailable = "could not build the test image with Podman: " + output;
                } else {
                    image = output.lines().reduce((first, second) -> second).orElse("");
                }
            } catch (IOException e) {
                unavailable = "Podman is not usable here: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unavailable = "interrupted";
            }
        }
        return image;
    }

    /**
     * The test image with tmux removed (made once per test image): what a person gets who builds an
     * agent image and forgets tmux. Null when it could not be made.
     */
    static synchronized String withoutTmux() throws IOException, InterruptedException {
        String base = image();
        if (base == null) {
            return null;
        }
        String derived = base + "-no-tmux";
        if (podman("image", "exists", derived) == 0) {
            return derived;
        }
        String builder = "parhelia-no-tmux-build-" + ProcessHandle.current().pid();
        List<String> remove = new ArrayList<>(List.of("run", "--name", builder, "--user", "root", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"));
        if (!OCI_RUNTIME.isEmpty()) {
            remove.addAll(0, List.of("--runtime", OCI_RUNTIME));
        }
        remove.addAll(List.of(base, "rm", "/usr/bin/tmux"));
        try {
            if (podman(remove.toArray(String[]::new)) != 0 || podman("commit", "--quiet", builder, derived) != 0) {
                return null;
            }
        } finally {
            podman("rm", "-f", builder);
        }
        return derived;
    }

    private static int podman(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }

    static String whyUnavailable() {
        return unavailable;
    }

    /** Stops the Podman service a runtime started for a home. */
    static void stopService(Path home) throws IOException {
        Path pidFile = home.resolve("podman").resolve(ContainerEngine.SERVICE_PID);
        if (Files.exists(pidFile)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(ProcessHandle::destroy);
        }
    }
}
