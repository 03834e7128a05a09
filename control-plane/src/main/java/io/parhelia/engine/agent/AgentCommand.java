package io.parhelia.engine.agent;

import io.parhelia.engine.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent command as an argv template. Placeholders are replaced inside each element in one pass,
 * so a prompt that itself contains {@code {task_id}} stays as written, and no element is ever
 * handed to a shell.
 */
public final class AgentCommand {

    public static final Set<String> PLACEHOLDERS = Set.of("prompt", "max_turns", "task_id", "workspace");
    /** The longest prompt passed as an argument; Linux's limit for one argument is 128 KiB. */
    public static final int MAX_ARGUMENT_BYTES = 100_000;
    private static final String RESUME_PLACEHOLDER = "agent_session_id";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");

    private final List<String> command;
    private final List<String> resumeArgs;

    public AgentCommand(List<String> command, List<String> resumeArgs) {
        if (command.isEmpty()) {
            throw new ConfigException("agent.command is empty; set it to the agent's argv, e.g. [\"claude\", \"-p\", \"{prompt}\"]");
        }
        check(command, "agent.command", PLACEHOLDERS);
        if (command.stream().noneMatch(element -> element.contains("{prompt}"))) {
            throw new ConfigException("agent.command never passes the prompt; add \"{prompt}\" as one of its elements");
        }
        check(resumeArgs, "agent.resume_args", Set.of(RESUME_PLACEHOLDER));
        this.command = List.copyOf(command);
        this.resumeArgs = List.copyOf(resumeArgs);
    }

    /**
     * Whether a prompt too long to be an argument can go to standard input instead: {@code {prompt}} is
     * an element of its own (left out then) and no other element embeds it (which would still carry it).
     */
    public boolean takesLongPrompts() {
        return command.contains("{prompt}")
                && command.stream().noneMatch(element -> !element.equals("{prompt}") && element.contains("{prompt}"));
    }

    /** The program the agent command runs, for checks such as "is it on PATH". */
    public String executable() {
        return command.get(0);
    }

    /**
     * The agent's launch: its argv, and what goes to its standard input.
     *
     * @param stdin the prompt, when it was too long to be an argument; else null
     */
    public record Rendered(List<String> argv, String stdin) {
    }

    /**
     * Renders the template. Linux refuses an argument of 128 KiB or more, so a prompt longer than
     * {@link #MAX_ARGUMENT_BYTES} goes to the agent's standard input instead (where {@code claude -p}
     * reads it), provided the template has {@code {prompt}} as a whole element to leave out.
     *
     * @param values          a value for every placeholder in {@link #PLACEHOLDERS}
     * @param resumeSessionId the conversation to resume, or null for a fresh one
     * @throws IllegalArgumentException when the prompt is too long and cannot go to standard input
     */
    public Rendered render(Map<String, String> values, String resumeSessionId) {
        String prompt = values.get("prompt");
        boolean viaStdin = prompt.getBytes(StandardCharsets.UTF_8).length > MAX_ARGUMENT_BYTES;
        if (viaStdin && !takesLongPrompts()) {
            throw new IllegalArgumentException("the prompt is too long to pass as an argument, and agent.command "
                    + "embeds {prompt} inside a longer argument; make \"{prompt}\" an element of its own");
        }
        List<String> argv = new ArrayList<>();
        for (String element : command) {
            if (!(viaStdin && element.equals("{prompt}"))) {
                argv.add(substitute(element, values));
            }
        }
        if (resumeSessionId != null) {
            resumeArgs.forEach(element -> argv.add(substitute(element, Map.of(RESUME_PLACEHOLDER, resumeSessionId))));
        }
        return new Rendered(argv, viaStdin ? prompt : null);
    }

    private static String substitute(String element, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(element);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static void check(List<String> template, String key, Set<String> allowed) {
        for (String element : template) {
            Matcher m = PLACEHOLDER.matcher(element);
            while (m.find()) {
                if (!allowed.contains(m.group(1))) {
                    throw new ConfigException(key + " uses an unknown placeholder " + m.group() + "; known: " + allowed);
                }
            }
        }
    }
}
