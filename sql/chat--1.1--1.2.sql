-- chat extension 1.1 -> 1.2: the batched send path and doorbell events, the conversation list
-- by keyset pages.

\echo Use "ALTER EXTENSION chat UPDATE TO '1.2'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Batched sends and doorbells (send_messages, event_messages)
-- ---------------------------------------------------------------------------------------------

-- ---------------------------------------------------------------------------------------------
-- The conversation list by keyset pages
-- ---------------------------------------------------------------------------------------------

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.2; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------
