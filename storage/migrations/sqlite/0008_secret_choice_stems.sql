-- Sejabot schema version 8: choices recorded before version 8 that carry a secret ballot's
-- choice become stems, as the bot records them since (storage/README.md, "Secret ballots").
--
-- A secret vote's confirmation ("lvc:<motion>:<round>:<choice>" of a secret motion) and every
-- election ballot ("lex", "les", "lec": the marks as a mask) named the choice next to the
-- member's chat. Each becomes "<all but the last field>:*", offered if any of the replaced
-- payloads still was. rtrim(p, replace(p, ':', '')) cuts everything after the last colon.

INSERT INTO sent_message_choices (platform, chat_id, message_id, payload, withdrawn)
SELECT platform, chat_id, message_id, rtrim(payload, replace(payload, ':', '')) || '*',
       MIN(withdrawn)
FROM sent_message_choices
WHERE payload NOT LIKE '%:*'
  AND (
    payload LIKE 'lex:%' OR payload LIKE 'les:%' OR payload LIKE 'lec:%'
    OR (
      payload LIKE 'lvc:%'
      AND CAST(substr(payload, 5, instr(substr(payload, 5), ':') - 1) AS INTEGER)
          IN (SELECT id FROM motions WHERE vote_kind = 'secret')
    )
  )
GROUP BY platform, chat_id, message_id, rtrim(payload, replace(payload, ':', '')) || '*'
ON CONFLICT (platform, chat_id, message_id, payload) DO NOTHING;

DELETE FROM sent_message_choices
WHERE payload NOT LIKE '%:*'
  AND (
    payload LIKE 'lex:%' OR payload LIKE 'les:%' OR payload LIKE 'lec:%'
    OR (
      payload LIKE 'lvc:%'
      AND CAST(substr(payload, 5, instr(substr(payload, 5), ':') - 1) AS INTEGER)
          IN (SELECT id FROM motions WHERE vote_kind = 'secret')
    )
  );
