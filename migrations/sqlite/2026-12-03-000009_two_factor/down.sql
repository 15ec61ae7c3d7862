DROP TABLE recovery_codes;
DROP TABLE totp_secrets;
DROP INDEX users_two_factor;
ALTER TABLE users DROP COLUMN two_factor_since;
