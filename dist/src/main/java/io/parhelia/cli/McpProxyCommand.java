package io.parhelia.cli;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import io.parhelia.stdio.ExitReason;
import io.parhelia.stdio.StdioServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parhelia mcp-proxy --url https://host/mcp}: a stdio MCP server whose tools are a remote
 * Parhelia's, each call forwarded over Streamable HTTP with {@code $PARHELIA_MCP_TOKEN} as the
 * bearer token, so a local client that only starts stdio servers (an {@code mcp_config.json}
 * entry) can use a remote Parhelia. The remote's tools are listed once at start; a refused token
 * ends the proxy at start with the server's reason, or turns a later call into an error result.
 */
@Command(name = "mcp-proxy", mixinStandardHelpOptions = true,
        description = {"Serve a remote Parhelia's tools over stdio, forwarding each call over HTTP.",
                "The bearer token comes from $" + McpProxyCommand.TOKEN_ENV + "."})
final class McpProxyCommand implements Callable<Integer> {

    static final String TOKEN_ENV = "PARHELIA_MCP_TOKEN";
    private static final Logger log = LoggerFactory.getLogger(McpProxyCommand.class);
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);
    /** Long enough for a task_create that waits for its task, which the remote bounds itself. */
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(15);

    @Option(names = "--url", required = true, paramLabel = "URL", description = "The remote MCP endpoint, e.g. https://parhelia.example.com/mcp.")
    URI url;

    @Override
    public Integer call() {
        if (url.getScheme() == null || !url.getScheme().matches("(?i)https?") || url.getHost() == null) {
            System.err.println("parhelia: --url must be an http(s) URL such as https://parhelia.example.com/mcp, got '" + url + "'");
            return 2;
        }
        String token = System.getenv(TOKEN_ENV);
        if (token == null || token.isBlank()) {
            System.err.println("parhelia: set $" + TOKEN_ENV + " to a token the remote accepts (`parhelia token create` on its host)");
            return 2;
        }
        // The protocol owns the real stdout; anything else printing to System.out lands on stderr instead.
        OutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        McpSyncClient remote = client(token.strip());
        List<McpSchema.Tool> tools;
        try {
            remote.initialize();
            tools = tools(remote);
        } catch (RuntimeException e) {
            System.err.println("parhelia: " + describe(e));
            remote.close();
            return 1;
        }
        log.info("proxying {} tools of {} over stdio", tools.size(), url);
        try {
            ExitReason reason = StdioServer.serve(transport -> McpServer.sync(transport)
                    .serverInfo("parhelia-proxy", Main.version())
                    .instructions(remote.getServerInstructions())
                    .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                    // The remote validates arguments and names the field at fault; checking here too would only differ.
                    .validateToolInputs(false)
                    .tools(tools.stream().map(tool -> forward(remote, tool)).toList())
                    .build(), System.in, protocolOut, DRAIN_GRACE);
            log.info("stdio closed: {}", reason);
        } finally {
            remote.closeGracefully();
        }
        return 0;
    }

    private McpSyncClient client(String token) {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/mcp" : url.getRawPath();
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder(url.getScheme() + "://" + url.getRawAuthority())
                .endpoint(path)
                .httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + token))
                .build();
        return McpClient.sync(transport)
                .clientInfo(new McpSchema.Implementation("parhelia-proxy", Main.version()))
                .requestTimeout(CALL_TIMEOUT)
                .initializationTimeout(Duration.ofSeconds(30))
                .build();
    }

    private static List<McpSchema.Tool> tools(McpSyncClient remote) {
        List<McpSchema.Tool> tools = new ArrayList<>();
        String cursor = null;
        do {
            McpSchema.ListToolsResult page = remote.listTools(cursor);
            tools.addAll(page.tools());
            cursor = page.nextCursor();
        } while (cursor != null);
        return tools;
    }

    private SyncToolSpecification forward(McpSyncClient remote, McpSchema.Tool tool) {
        return SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> {
            try {
                return remote.callTool(request);
            } catch (RuntimeException e) {
                String message = describe(e);
                log.warn("forwarding {} failed: {}", tool.name(), message);
                return McpSchema.CallToolResult.builder().isError(true).addTextContent(message).build();
            }
        }).build();
    }

    /** Says what went wrong with the remote in a sentence a person can act on, naming the server's own reason for a refusal. */
    private String describe(RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof McpHttpClientTransportAuthorizationException refused) {
                int status = refused.getResponseInfo().statusCode();
                String challenge = refused.getResponseInfo().headers().firstValue("WWW-Authenticate").orElse("");
                return url + " refused the token in $" + TOKEN_ENV + " (HTTP " + status + (challenge.isEmpty() ? "" : ": " + challenge)
                        + "); " + (status == 403 ? "it lacks the scope named there" : "it is unknown, expired or revoked: get a new one "
                        + "with `parhelia token create` on the server's host");
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return "cannot use " + url + ": " + (root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName());
    }
}
