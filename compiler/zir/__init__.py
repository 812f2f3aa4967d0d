"""ZIR text front end: tags and schemas, the parsed data model, parser, region cache, writer, formatter."""
