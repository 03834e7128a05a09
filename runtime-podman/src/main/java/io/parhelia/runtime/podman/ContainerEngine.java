package io.parhelia.runtime.podman;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.health.Diagnostics;
import io.parhelia.engine.runtime.RuntimeFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A connected Docker Engine API: the configured endpoint, else {@code $DOCKER_HOST} when it answers,
 * else Podman's Docker-compatible service, which Parhelia starts itself with its socket in the home.
 * Agents' containers do not depend on that service: Podman keeps them running without it.
 *
 * @param client            the API client
 * @param endpoint          where it is, e.g. {@code unix:///home/me/.parhelia/podman/engine.sock}
 * @param podman            whether the engine is Podman (else Docker): it decides the attach command
 * @param version           the engine's name and version, for health
 * @param startedByParhelia whether Parhelia started (or found its own) Podman service
 */
record ContainerEngine(DockerClient client, String endpoint, boolean podman, String version, boolean startedByParhelia) {

    private static final Logger log = LoggerFactory.getLogger(ContainerEngine.class);
    private static final String SOCKET = "engine.sock";
    /** The pid of the service Parhelia started, for a person (or a test) who wants to stop it. */
    static final String SERVICE_PID = "engine.pid";
    private static final Duration SERVICE_START_LIMIT = Duration.ofSeconds(20);

    /**
     * The command a person runs for this engine: plain {@code podman} reaches the same containers as
     * Podman's local service; a Docker daemon is named explicitly unless it is the default one.
     */
    List<String> cli() {
        if (podman) {
            return List.of("podman");
        }
        return endpoint.equals("unix:///var/run/docker.sock") ? List.of("docker") : List.of("docker", "-H", endpoint);
    }

    String describe() {
        return version + " at " + endpoint + (startedByParhelia ? " (a service Parhelia started)" : "");
    }

    /**
     * Connects as configured. Starting Podman's service is serialised across the processes sharing
     * the home by a lock file, so that two servers never start two services on one socket.
     */
    static ContainerEngine connect(ParheliaConfig.Runtime.Podman settings, Path stateDir) throws RuntimeFailure {
        if (!settings.endpoint().isBlank()) {
            return open(settings.endpoint(), false, "runtime.podman.endpoint");
        }
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost != null && !dockerHost.isBlank()) {
            try {
                return open(dockerHost, false, "DOCKER_HOST");
            } catch (RuntimeFailure e) {
                log.debug("DOCKER_HOST={} does not answer; using a Podman service instead", dockerHost, e);
            }
        }
        return ownPodmanService(settings, stateDir);
    }

    private static synchronized ContainerEngine ownPodmanService(ParheliaConfig.Runtime.Podman settings, Path stateDir)
            throws RuntimeFailure {
        Path podman = findExecutable("podman").orElseThrow(() -> new RuntimeFailure("no container engine: podman is not "
                + "installed and neither runtime.podman.endpoint nor DOCKER_HOST names an engine that answers; install "
                + "Podman (apt-get install podman runc) or point runtime.podman.endpoint at a Docker daemon's socket"));
        Path socket = stateDir.resolve(SOCKET);
        String endpoint = "unix://" + socket;
        try {
            Files.createDirectories(stateDir);
            try (FileChannel lockFile = FileChannel.open(stateDir.resolve("engine.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                lockFile.lock(); // held until the channel closes
                if (Files.exists(socket)) {
                    try {
                        return open(endpoint, true, "the Podman service");
                    } catch (RuntimeFailure e) {
                        log.debug("the Podman service socket {} does not answer; starting the service again", socket);
                    }
                }
                Files.deleteIfExists(socket);
                Process service = startService(podman, settings, endpoint, stateDir.resolve("engine.log"));
                return awaitService(service, endpoint, stateDir.resolve("engine.log"));
            }
        } catch (IOException e) {
            throw new RuntimeFailure("could not start Podman's service in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /** In a session of its own (setsid), so that a signal to the server's process group leaves it alone. */
    private static Process startService(Path podman, ParheliaConfig.Runtime.Podman settings, String endpoint, Path logFile)
            throws IOException {
        List<String> command = new ArrayList<>();
        findExecutable("setsid").ifPresent(setsid -> command.add(setsid.toString()));
        command.add(podman.toString());
        if (!settings.ociRuntime().isBlank()) {
            command.addAll(List.of("--runtime", settings.ociRuntime()));
        }
        command.addAll(List.of("system", "service", "--time=" + settings.serviceIdleSeconds(), endpoint));
        log.info("starting Podman's Docker-compatible service: {}", command);
        Process service = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        // setsid execs in place (a child of the JVM leads no process group), so this is the service's pid.
        Files.writeString(logFile.resolveSibling(SERVICE_PID), Long.toString(service.pid()));
        return service;
    }

    private static ContainerEngine awaitService(Process service, String endpoint, Path logFile) throws RuntimeFailure {
        long deadline = System.nanoTime() + SERVICE_START_LIMIT.toNanos();
        RuntimeFailure last = null;
        while (System.nanoTime() < deadline) {
            if (Files.exists(Path.of(URI.create(endpoint).getPath()))) {
                try {
                    return open(endpoint, true, "the Podman service");
                } catch (RuntimeFailure e) {
                    last = e;
                }
            } else if (!service.isAlive() && service.exitValue() != 0) {
                throw new RuntimeFailure("Podman's service exited with code " + service.exitValue() + ": " + tail(logFile));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuntimeFailure("interrupted while starting Podman's service", e);
            }
        }
        throw new RuntimeFailure("Podman's service did not answer on " + endpoint + " within "
                + SERVICE_START_LIMIT.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage())
                + "; its log: " + tail(logFile));
    }

    private static ContainerEngine open(String endpoint, boolean startedByParhelia, String source) throws RuntimeFailure {
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new RuntimeFailure(source + " '" + endpoint + "' is not a unix:// or tcp:// address", e);
        }
        DockerClient client = DockerClientImpl.getInstance(
                DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(endpoint).build(),
                new ZerodepDockerHttpClient.Builder().dockerHost(uri).connectionTimeout(Duration.ofSeconds(3)).build());
        try {
            client.pingCmd().exec();
            Version version = client.versionCmd().exec();
            boolean podman = version.getComponents() != null && version.getComponents().stream()
                    .anyMatch(component -> component.getName() != null && component.getName().startsWith("Podman"));
            String name = (podman ? "Podman " : "Docker ") + version.getVersion() + " (API " + version.getApiVersion() + ")";
            return new ContainerEngine(client, endpoint, podman, name, startedByParhelia);
        } catch (RuntimeException e) {
            closeQuietly(client);
            throw new RuntimeFailure(source + " " + endpoint + " does not answer: " + rootMessage(e), e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    static void closeQuietly(DockerClient client) {
        try {
            client.close();
        } catch (IOException e) {
            log.debug("closing the engine client failed", e);
        }
    }

    private static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log at " + logFile + ")";
        }
    }

    private static Optional<Path> findExecutable(String command) {
        return Optional.ofNullable(Diagnostics.findExecutable(command));
    }
}
