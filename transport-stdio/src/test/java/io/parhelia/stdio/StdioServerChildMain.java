package io.parhelia.stdio;

import java.time.Duration;
import org.slf4j.LoggerFactory;

/**
 * Child-process entry point for {@link StdioServerProcessTest}. It deliberately returns from
 * {@code main} without {@code System.exit}: the JVM then exits only if serve left no non-daemon
 * thread behind.
 */
public final class StdioServerChildMain {

    private StdioServerChildMain() {
    }

    public static void main(String[] args) {
        ExitReason reason = StdioServer.serve(TestServers::echoServer, System.in, System.out, Duration.ofSeconds(2));
        LoggerFactory.getLogger(StdioServerChildMain.class).info("serve returned {}", reason);
    }
}
