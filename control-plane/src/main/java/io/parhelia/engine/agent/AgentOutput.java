package io.parhelia.engine.agent;

import java.math.BigDecimal;

/**
 * What an agent's stream-json output has told so far. Fields not seen yet are null. Before the final
 * result line arrives, token counts and the number of turns are estimates summed from the assistant
 * messages; the result line's values replace them.
 *
 * @param agentSessionId      Claude Code's session id, the one {@code --resume} takes
 * @param model               the model named at session start
 * @param resultText          the final answer, from the result line
 * @param resultSubtype       success, error_max_turns, error_during_execution…
 * @param isError             whether the result is an error; null until the result line
 * @param totalCostUsd        API cost reported by the agent, exactly as printed
 * @param inputTokens         input tokens
 * @param outputTokens        output tokens
 * @param cacheReadTokens     input tokens read from the prompt cache
 * @param cacheCreationTokens input tokens written to the prompt cache
 * @param numTurns            turns taken
 * @param durationMs          the agent's own wall time in milliseconds
 * @param assistantMessages   assistant messages seen (a message split over several lines counts once)
 * @param toolUses            tool calls seen
 * @param lastAssistantText   the text of the latest assistant message that had any
 */
public record AgentOutput(
        String agentSessionId,
        String model,
        String resultText,
        String resultSubtype,
        Boolean isError,
        BigDecimal totalCostUsd,
        Long inputTokens,
        Long outputTokens,
        Long cacheReadTokens,
        Long cacheCreationTokens,
        Integer numTurns,
        Long durationMs,
        int assistantMessages,
        int toolUses,
        String lastAssistantText) {
}
