import LedgerCommands
import Logging

LoggingSystem.bootstrap(StreamLogHandler.standardError)
await SessionLedgerCommand.start()
