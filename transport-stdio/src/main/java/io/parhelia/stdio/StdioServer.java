package io.parhelia.stdio;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one MCP server over stdio on top of the SDK's {@link StdioServerTransportProvider}, and
 * repairs its stdio weaknesses.
 *
 * <p>Threads: a daemon reader thread reads {@code in}, answers malformed, oversized and
 * {@code server/discover} lines itself, and hands valid lines to the SDK through an in-memory feed
 * that reaches end of file only when {@code serve} decides. The SDK keeps its own reader and writer
 * executors. The calling thread waits for end of input, then for in-flight requests (handed to
 * the SDK, not yet answered on stdout) to drain, then ends the SDK's input, closes the server and
 * shuts the SDK's executors down.
 *
 * <p>Every byte for {@code out} goes through one {@link LineAtomicOutput}, which writes each
 * message with its newline under a single lock.
 */
public final class StdioServer {

    /** Default bound for one inbound line; longer lines are answered with an error. */
    public static final int DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(StdioServer.class);
    private static final Duration SDK_SHUTDOWN_BOUND = Duration.ofMillis(500);

    private enum StopCause { END_OF_INPUT, INPUT_FAILED, OUTPUT_FAILED }

    private StdioServer() {
    }

    /** Serves until stdin closes, then returns after in-flight requests are answered or drainGrace passes. */
    public static ExitReason serve(Function<McpServerTransportProvider, McpSyncServer> bind,
                                   InputStream in, OutputStream out, Duration drainGrace) {
        return serve(bind, in, out, drainGrace, DEFAULT_MAX_LINE_BYTES);
    }

    /** As {@link #serve(Function, InputStream, OutputStream, Duration)}, with a custom bound for one line. */
    public static ExitReason serve(Function<McpServerTransportProvider, McpSyncServer> bind,
                                   InputStream in, OutputStream out, Duration drainGrace, int maxLineBytes) {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(drainGrace, "drainGrace");
        if (maxLineBytes <= 0) {
            throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
        }

        CompletableFuture<StopCause> stop = new CompletableFuture<>();
        InFlightRequests inFlight = new InFlightRequests();
        LineAtomicOutput output = new LineAtomicOutput(out, inFlight::complete, () -> {
            inFlight.abandonAll();
            stop.complete(StopCause.OUTPUT_FAILED);
        });
        SdkInputFeed sdkInput = new SdkInputFeed();
        McpJsonMapper sdkMapper = McpJsonDefaults.getMapper();
        // The SDK's own line limit counts chars; a line within our byte limit is always within it.
        SessionCapturingProvider provider = new SessionCapturingProvider(
                new StdioServerTransportProvider(sdkMapper, sdkInput, output, maxLineBytes));

        McpSyncServer server = null;
        try {
            server = bind.apply(provider);
            Thread reader = new Thread(
                    () -> pumpStdin(in, new InboundFilter(sdkMapper, maxLineBytes), maxLineBytes, output, inFlight,
                            sdkInput, stop),
                    "parhelia-stdio-reader");
            reader.setDaemon(true);
            reader.start();
            return awaitStopAndDrain(stop, inFlight, drainGrace, output);
        } finally {
            shutDownSdk(server, provider, sdkInput, inFlight.size() == 0);
            output.flushStdout();
        }
    }

    /**
     * Ends the SDK's input, closes the server and stops the SDK's executors. When requests are
     * still in flight the SDK would never stop its executors itself, so they are stopped at once.
     */
    private static void shutDownSdk(McpSyncServer server, SessionCapturingProvider provider, SdkInputFeed sdkInput,
                                    boolean nothingInFlight) {
        sdkInput.endInput();
        Duration selfStopBound = nothingInFlight ? SDK_SHUTDOWN_BOUND : Duration.ZERO;
        try {
            if (!sdkInput.awaitEndConsumed(selfStopBound)) {
                log.debug("The SDK did not read end of input within {}", selfStopBound);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (server != null) {
            server.close();
        }
        provider.stopSdkExecutors(selfStopBound);
    }

    private static ExitReason awaitStopAndDrain(CompletableFuture<StopCause> stop, InFlightRequests inFlight,
                                                Duration drainGrace, LineAtomicOutput output) {
        try {
            StopCause cause = stop.get();
            if (cause == StopCause.OUTPUT_FAILED) {
                return ExitReason.OUTPUT_ERROR;
            }
            boolean drained = inFlight.awaitNoneInFlight(drainGrace);
            if (output.hasFailed()) {
                return ExitReason.OUTPUT_ERROR;
            }
            if (!drained) {
                log.warn("stdin closed; {} request(s) still unanswered after {}", inFlight.size(), drainGrace);
            }
            if (cause == StopCause.INPUT_FAILED) {
                return ExitReason.INPUT_ERROR;
            }
            return drained ? ExitReason.EOF_DRAINED : ExitReason.EOF_GRACE_EXPIRED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitReason.INTERRUPTED;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the stop signal never completes exceptionally", e);
        }
    }

    private static void pumpStdin(InputStream in, InboundFilter filter, int maxLineBytes, LineAtomicOutput output,
                                  InFlightRequests inFlight, SdkInputFeed sdkInput,
                                  CompletableFuture<StopCause> stop) {
        BoundedLineReader lines = new BoundedLineReader(in, maxLineBytes);
        try {
            BoundedLineReader.Line line;
            while (!stop.isDone() && (line = lines.next()) != null) {
                InboundFilter.Verdict verdict = line.oversized() ? filter.oversizedLine() : filter.classify(line.bytes());
                if (verdict instanceof InboundFilter.Forward forward) {
                    // Registered before the SDK can see the line, so its reply can never be missed.
                    if (forward.requestIdKey() != null) {
                        inFlight.begin(forward.requestIdKey());
                    }
                    sdkInput.offerLine(forward.sdkLine());
                } else if (verdict instanceof InboundFilter.Reply reply) {
                    output.writeLine(reply.json());
                }
            }
            stop.complete(StopCause.END_OF_INPUT);
        } catch (IOException e) {
            log.warn("Reading stdin failed: {}", e.toString());
            stop.complete(StopCause.INPUT_FAILED);
        } catch (RuntimeException | Error e) {
            log.error("stdin reader failed", e);
            stop.complete(StopCause.INPUT_FAILED);
            throw e;
        }
    }
}
