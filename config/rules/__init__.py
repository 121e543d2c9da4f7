"""Rule-set presets: one TOML file per set of rules of procedure (see bot.domain.rules_loader)."""
