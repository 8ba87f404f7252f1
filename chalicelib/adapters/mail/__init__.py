"""Mail: MIME parsing, loop and bounce detection, composing and sending."""
