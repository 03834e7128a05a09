package io.parhelia.cli;

import io.parhelia.engine.Engine;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.ParheliaMcpServer;
import io.parhelia.stdio.ExitReason;
import io.parhelia.stdio.StdioServer;
import io.parhelia.tools.ParheliaTools;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "mcp-server", mixinStandardHelpOptions = true,
        description = "Serve Parhelia's tools over MCP. Over stdio (the default) the caller is the local user with every scope.")
final class McpServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(McpServerCommand.class);
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);

    enum Transport { stdio }

    @ParentCommand
    Main parent;

    @Option(names = "--transport", defaultValue = "stdio", description = "The transport: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Transport transport;

    @Override
    public Integer call() {
        // The protocol owns the real stdout; anything else printing to System.out lands on stderr instead.
        OutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        try (Engine engine = Engine.open(parent.config())) {
            // On SIGTERM, hand the reconciler lease back so another server takes over at once.
            Runtime.getRuntime().addShutdownHook(new Thread(engine::close, "parhelia-shutdown"));
            engine.reconciler().start();
            try (ParheliaMcpServer server = ParheliaMcpServer.builder()
                    .serverInfo("parhelia", Main.version())
                    .instructions(ParheliaTools.INSTRUCTIONS)
                    .tools(ParheliaTools.all(engine))
                    .resources(ParheliaTools.resources(engine), ParheliaTools.resourceChanges(engine))
                    .callers(CallerResolver.localUser())
                    .build()) {
                log.info("parhelia {} serving MCP over stdio; home {}", Main.version(), engine.config().home());
                ExitReason reason = StdioServer.serve(server::bind, System.in, protocolOut, DRAIN_GRACE);
                log.info("stdio closed: {}", reason);
            }
        }
        return 0;
    }
}
