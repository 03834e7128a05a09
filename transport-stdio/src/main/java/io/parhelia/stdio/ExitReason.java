package io.parhelia.stdio;

/** Why {@link StdioServer#serve} returned. */
public enum ExitReason {
    /** stdin reached end of file and every request handed to the SDK was answered on stdout. */
    EOF_DRAINED,
    /** stdin reached end of file and some requests were still unanswered when the drain grace ran out. */
    EOF_GRACE_EXPIRED,
    /** Reading stdin failed; requests in flight were drained as on end of file. */
    INPUT_ERROR,
    /** Writing stdout failed, so no further reply could reach the client. */
    OUTPUT_ERROR,
    /**
     * The thread running {@code serve} was interrupted; requests in flight were not waited for, and
     * the daemon stdin reader may still be blocked in a read that cannot be interrupted.
     */
    INTERRUPTED
}
