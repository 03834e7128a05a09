package io.parhelia.tools;

import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Viewer;
import io.parhelia.mcp.ToolCall;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolHandler;
import java.util.Locale;

/** What every tool over the engine needs: the caller as the engine sees it, and the engine's refusals as tool errors. */
final class EngineCalls {

    private EngineCalls() {
    }

    static Viewer viewer(ToolCall call) {
        return new Viewer(call.caller().principal(), call.caller().isAdmin());
    }

    /** Reports the engine's refusals as tool errors that keep its field and advice. */
    static ToolHandler engine(ToolHandler handler) {
        return call -> {
            try {
                return handler.handle(call);
            } catch (EngineException e) {
                throw new ToolError(e.reason().name().toLowerCase(Locale.ROOT), e.field(), e.getMessage());
            }
        };
    }
}
