"""Word lists for the synthetic London-like register: boroughs, streets, buildings, names.

Data only. Name pools are grouped by the cultural background a household is drawn
from, so households get coherent names and the register gets London's mix of very
common and rare names. Lists are ordered roughly by frequency; the generator
draws from them with a Zipf-like weight.
"""

from __future__ import annotations

#: (borough, association code, postcode districts, wards)
BOROUGHS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Hackney", "HACK", ("E8", "E5", "E9", "N16", "N1"), (
        "Dalston", "De Beauvoir", "Hackney Central", "Hackney Downs", "Homerton", "Stoke Newington",
        "Clissold", "Shacklewell", "Victoria", "Kings Park", "Lea Bridge", "Hoxton East",
        "Hoxton West", "London Fields", "Haggerston", "Cazenove", "Springfield", "Brownswood")),
    ("Islington", "ISLI", ("N1", "N7", "N19", "N5", "EC1V"), (
        "Barnsbury", "Canonbury", "Caledonian", "Highbury", "Holloway", "Hillrise", "Junction",
        "Mildmay", "St Peter's", "Tollington", "Finsbury Park", "Arsenal", "Laycock", "Bunhill")),
    ("Lambeth", "LAMB", ("SW9", "SE11", "SW2", "SE27", "SW4", "SW8"), (
        "Brixton North", "Brixton Rush Common", "Clapham Common", "Herne Hill", "Kennington",
        "Oval", "Stockwell East", "Stockwell West", "Streatham Hill", "Vauxhall", "Waterloo",
        "Knight's Hill", "Gipsy Hill", "West Dulwich")),
    ("Southwark", "SOUT", ("SE1", "SE5", "SE15", "SE16", "SE17", "SE22"), (
        "Borough and Bankside", "Camberwell Green", "Champion Hill", "Dulwich Hill", "Faraday",
        "Goose Green", "Newington", "North Bermondsey", "Nunhead", "Old Kent Road", "Peckham",
        "Rye Lane", "Rotherhithe", "Walworth")),
    ("Tower Hamlets", "TOWH", ("E1", "E2", "E3", "E14"), (
        "Bethnal Green East", "Bethnal Green West", "Bow East", "Bow West", "Bromley North",
        "Canary Wharf", "Limehouse", "Mile End", "Poplar", "Shadwell", "Spitalfields",
        "Stepney Green", "Weavers", "Whitechapel", "St Katharine's", "Lansbury")),
    ("Haringey", "HARI", ("N15", "N17", "N22", "N4", "N8"), (
        "Bruce Castle", "Crouch End", "Harringay", "Hornsey", "Noel Park", "Northumberland Park",
        "St Ann's", "Seven Sisters", "Stroud Green", "Tottenham Central", "Tottenham Hale",
        "West Green", "White Hart Lane", "Woodside")),
    ("Newham", "NEWH", ("E6", "E7", "E12", "E13", "E15", "E16"), (
        "Beckton", "Canning Town North", "Custom House", "East Ham", "Forest Gate North",
        "Forest Gate South", "Green Street East", "Little Ilford", "Manor Park", "Maryland",
        "Plaistow North", "Stratford", "West Ham", "Royal Albert")),
    ("Lewisham", "LEWI", ("SE4", "SE6", "SE8", "SE13", "SE14", "SE23"), (
        "Brockley", "Catford South", "Crofton Park", "Deptford", "Evelyn", "Forest Hill",
        "Ladywell", "Lee Green", "Lewisham Central", "New Cross Gate", "Perry Vale",
        "Rushey Green", "Sydenham", "Telegraph Hill")),
    ("Camden", "CAMD", ("NW1", "NW3", "NW5", "NW6", "WC1N"), (
        "Belsize", "Camden Square", "Camden Town", "Fortune Green", "Frognal", "Gospel Oak",
        "Hampstead Town", "Haverstock", "Highgate", "Kentish Town North", "Kilburn",
        "Primrose Hill", "Regent's Park", "West Hampstead")),
    ("Brent", "BREN", ("NW10", "NW2", "HA9", "NW6"), (
        "Alperton", "Brondesbury Park", "Cricklewood", "Dollis Hill", "Harlesden", "Kensal Green",
        "Kilburn", "Kingsbury", "Queens Park", "Stonebridge", "Tokyngton", "Welsh Harp",
        "Wembley Central", "Willesden Green")),
)  # fmt: skip

#: Street names shared by many wards (a trap when the postcode is missing).
COMMON_STREETS = (
    "High Street",
    "Church Road",
    "Station Road",
    "Park Road",
    "Victoria Road",
    "Albert Road",
    "Queens Road",
    "Kings Road",
    "Manor Road",
    "Mill Lane",
    "Church Street",
    "Grove Road",
    "York Road",
    "Green Lane",
    "New Road",
    "North Road",
    "South Street",
    "London Road",
)
STREET_STEMS = (
    "Mare Amhurst Dalston Graham Richmond Navarino Sandringham Cecilia Evering Brooke "
    "Downs Chatsworth Glenarm Elderfield Rushmore Median Kenninghall Cazenove Osbaldeston "
    "Forest Wilton Albion Mildmay Newington Barnsbury Liverpool Caledonian Holloway "
    "Tollington Blackstock Highbury Canonbury Coldharbour "
    "Railton Effra Mayall Shakespeare Dulwich Lordship Bellenden Choumert Nunhead Rye "
    "Peckham Camberwell Denmark Coldbath Brockley Tressillian Ashby Wickham Manor "
    "Ladywell Algernon Vicars Rushey Bromley Devons Roman Antill Tredegar Malmesbury "
    "Bow Fairfield Commercial Cable Cannon Jubilee Shadwell Watney "
    "Brick Fournier Hanbury Quaker Vallance Cephas Globe Bancroft Mornington Kentish "
    "Leighton Fortess Chetwynd Dartmouth Highgate Swain's Lyndhurst Belsize "
    "Fellows Compayne Sumatra Agamemnon Menelik Willesden Harlesden Craven "
    "Chamberlayne Sidmouth Dyne Mapesbury Cricklewood Olive Ealing Tottenham "
    "Philip Lordship Bruce Markfield Crouch Stroud Weston Nelson Clarence "
    "Garibaldi Wellington Tennyson Milton Byron Chaucer Shelley Cowper Palmerston Gladstone "
    "Disraeli Peel Pitt Russell Bedford Cromwell Hampden Elgin Rosebery Salisbury Derby "
    "Durham Stanley Cavendish Grosvenor Bentinck Howard Percy Somerset Devonshire Norfolk "
    "Suffolk Sussex Kent Surrey Essex Dorset Cornwall Devon Lincoln Warwick Oxford Cambridge "
    "Acacia Beech Cedar Elm Hawthorn Hazel Holly Laurel Lime Maple Oak Poplar Rowan Willow "
    "Ash Birch Chestnut Sycamore Alder Cherry Orchard Meadow Brook Spring Well Pond Bridge "
    "Ferry Wharf Canal River Marsh Field Heath Common Hill Mount Vale Dene Combe Rise"
).split()
STREET_TYPES = (
    ("Road", 30), ("Street", 22), ("Avenue", 7), ("Lane", 6), ("Gardens", 5), ("Grove", 5),
    ("Place", 4), ("Close", 4), ("Crescent", 3), ("Terrace", 3), ("Way", 3), ("Square", 2),
    ("Mews", 2), ("Walk", 2), ("Hill", 2), ("Rise", 1), ("Row", 1), ("Park", 1), ("Drive", 1),
)  # fmt: skip
BLOCK_NAMES = (
    "Nightingale Alder Burbage Colvestone Dunston Fellows Gascoyne Haggerston Ivy Jasmine "
    "Kestrel Lindsey Morris Norris Orwell Pembury Queensbridge Rowley Saxon Tower Union "
    "Vaughan Wenlock Yeats Zenith Atlee Bevan Cripps Dalton Morrison Lansbury Keir Hardie "
    "Wilberforce Seacole Pankhurst Fawcett Brunel Faraday Darwin Newton Wren Turner Blake"
).split()
BLOCK_WORDS = ("House", "House", "House", "Court", "Court", "Point", "Tower", "Mansions", "Lodge")
HOUSE_NAMES = (
    "Rose Cottage", "The Willows", "Ivy Cottage", "The Old Rectory", "Holly Lodge", "The Laurels",
    "Fern Villa", "The Coach House", "Orchard House", "The Old Forge", "Elm Lodge", "The Gables",
    "Myrtle Cottage", "The Old Dairy", "Beech House", "Hawthorn Cottage", "The Lodge", "Wisteria",
)  # fmt: skip

#: group: (share of households, male forenames, female forenames, surnames)
NAME_GROUPS: dict[str, tuple[float, str, str, str]] = {
    "british": (0.50,
        "James John Robert Michael David William Richard Thomas Christopher Daniel Matthew "
        "Anthony Mark Paul Steven Andrew Joshua Kenneth Kevin Brian George Timothy Ronald "
        "Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin "
        "Scott Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Peter "
        "Harry Oliver Charlie Alfie Henry Freddie Archie Theo Leo Oscar Arthur Noah Ethan "
        "Lewis Callum Connor Liam Aaron Adam Alan Ian Neil Simon Stuart Graham Colin Keith "
        "Trevor Nigel Roger Malcolm Gordon Derek Barry Clive Terence Philip Martin Lee Dean "
        "Wayne Craig Darren Jamie Ben Tom Sam Joe Max Toby Hugo Rupert Sebastian Felix Rory",
        "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy "
        "Margaret Sandra Ashley Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah "
        "Stephanie Rebecca Sharon Laura Helen Amy Anna Emma Olivia Sophie Charlotte Lucy Alice "
        "Grace Chloe Hannah Ellie Isla Ava Mia Poppy Evie Ruby Daisy Freya Florence Phoebe "
        "Rosie Jasmine Holly Katie Gemma Rachel Claire Nicola Joanne Louise Kirsty Natalie "
        "Victoria Catherine Caroline Julie Jane Ann Janet Christine Gillian Pauline Wendy "
        "Jacqueline Tracey Kelly Samantha Joanna Kate Harriet Imogen Georgia Beatrice Matilda",
        "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
        "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel "
        "Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison "
        "Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths "
        "Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox "
        "Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster "
        "Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer "
        "Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray "
        "Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart "
        "Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson "
        "Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant "
        "Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory "
        "Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding "
        "Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane "
        "Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross "
        "Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson "
        "Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss McCarthy Chambers O'Neill "
        "Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon Doyle Wallace George Jordan "
        "Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miles Stevenson "
        "Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater Austin Sullivan "
        "Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton Woodward "
        "Thomson Cunningham Quinn Barnett Baxter Bibi Clayton Nash Greenwood Jennings Holt "
        "Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler Heath Norris Middleton Lord "
        "Smith-Jones Lloyd-Webber Bowes-Lyon Carter-Brown Ashton-Hughes D'Souza O'Sullivan "
        "O'Reilly O'Donnell McKenzie MacDonald McLean De Souza Van der Berg"),
    "south_asian": (0.13,
        "Mohammed Ahmed Ali Hassan Imran Arjun Rahul Sanjay Rajesh Amit Vikram Anil Sunil "
        "Ravi Deepak Harpreet Gurpreet Jaswinder Kamal Abdul Rashid Tariq Asif Faisal Bilal "
        "Zain Ayaan Rohan Kiran Nikhil Vijay Suresh Mahesh Ramesh Abdullah Shahid Nadeem",
        "Fatima Aisha Priya Anjali Sunita Anita Kavita Pooja Nisha Deepa Shabana Nasreen "
        "Farzana Rukhsana Salma Amina Zara Aaliyah Ananya Divya Meera Rekha Geeta Sita "
        "Harjit Manpreet Simran Jasmeet Shazia Samina Yasmin Ruksana Sabrina Laila Noor",
        "Patel Shah Khan Ahmed Ali Hussain Begum Singh Kaur Sharma Gupta Kumar Mistry Desai "
        "Chowdhury Rahman Islam Miah Uddin Hossain Akhtar Iqbal Malik Qureshi Siddiqui Sheikh "
        "Mahmood Butt Chaudhry Aziz Bhatt Joshi Mehta Reddy Nair Pillai Rao Verma Sandhu "
        "Gill Dhillon Sidhu Bains Johal Virdi Thakrar Parmar Solanki Chauhan Rathod Lad"),
    "west_african": (0.08,
        "Oluwaseun Chukwuemeka Adebayo Olumide Babatunde Emeka Kwame Kofi Kwabena Yaw Femi "
        "Tunde Segun Ifeanyi Obinna Chidi Nnamdi Oluwatobi Ayodele Kayode Ibrahim Samuel "
        "Daniel Emmanuel David Joseph Michael Godwin Prince Kelvin",
        "Folasade Oluwakemi Ngozi Chioma Adaeze Abimbola Funmilayo Yetunde Bukola Titilayo "
        "Akosua Ama Abena Efua Adwoa Blessing Grace Mercy Patience Comfort Precious Esther "
        "Ruth Deborah Ifeoma Nneka Amaka Olubunmi Oluwatoyin Temitope Damilola",
        "Adeyemi Okafor Okonkwo Adebayo Oyelaran Balogun Ogunleye Adeleke Akinola Olaniyan "
        "Mensah Owusu Asante Boateng Osei Appiah Nwosu Eze Obi Nwachukwu Okoye Uche Adeyemi-Okafor "
        "Oladipo Afolabi Bankole Ogundipe Olawale Adewale Oyewole Oni Ajayi Bello Danjuma"),
    "caribbean": (0.05,
        "Delroy Winston Leroy Errol Clive Desmond Marcus Tyrone Jermaine Andre Kemar Dwayne "
        "Lloyd Neville Carlton Everton Junior Devon Curtis Omar",
        "Marcia Beverley Sonia Claudette Hyacinth Jasmine Shanice Tanisha Keisha Monique "
        "Cheryl Paulette Yvonne Dionne Simone Natasha Tamara Kimberley Sharon Angela",
        "Campbell Williams Brown Thomas Clarke Francis Grant Henry Reid Bailey Morgan "
        "Samuels Stewart Lewis Gordon Wright Edwards Bennett Johnson Robinson Thompson "
        "Baptiste Joseph Charles Pierre St Louis Beckford Powell Forbes Blake McKenzie"),
    "turkish_kurdish": (0.04,
        "Mehmet Mustafa Ahmet Ali Hasan Huseyin Ibrahim Murat Emre Cem Kemal Osman Yusuf "
        "Serkan Burak Deniz Baris Erkan Levent Tarkan",
        "Ayse Fatma Emine Hatice Zeynep Elif Meryem Sultan Hulya Gul Selin Derya Ebru Esra "
        "Aylin Dilek Ozlem Sevgi Nur Leyla",
        "Yilmaz Kaya Demir Sahin Celik Yildiz Yildirim Ozturk Aydin Ozdemir Arslan Dogan "
        "Kilic Aslan Cetin Kara Koc Kurt Ozkan Simsek Polat Korkmaz Erdogan Aksoy"),
    "east_european": (0.06,
        "Piotr Tomasz Krzysztof Wojciech Pawel Michal Marcin Andrzej Jakub Lukasz Mateusz "
        "Adam Bartosz Kamil Dawid Ion Andrei Mihai Bogdan Vasile Nikolai Dmitri Ivan Sergei",
        "Katarzyna Agnieszka Malgorzata Anna Magdalena Joanna Monika Ewa Karolina Aleksandra "
        "Natalia Paulina Justyna Elena Ioana Maria Andreea Irina Olga Svetlana Tatiana",
        "Nowak Kowalski Wisniewski Wojcik Kowalczyk Kaminski Lewandowski Zielinski Szymanski "
        "Wozniak Dabrowski Kozlowski Jankowski Mazur Kwiatkowski Krawczyk Popescu Ionescu "
        "Popa Dumitru Stan Stoica Gheorghe Ivanov Petrov Smirnov Kovacs Horvath Novak"),
    "somali_arabic": (0.04,
        "Abdi Abdirahman Abdullahi Mohamed Ahmed Hassan Hussein Omar Yusuf Ismail Khalid "
        "Mahmoud Said Saleh Karim Nasser Walid Tarek Faris Bashir",
        "Fadumo Hodan Amina Khadija Maryan Sahra Asha Hawa Ifrah Nimco Layla Mariam Noura "
        "Rania Salma Hana Dina Samira Yasmin Farah",
        "Mohamed Ahmed Hassan Ali Abdi Farah Osman Ismail Warsame Jama Aden Nur Egal Hersi "
        "Mohamud Yusuf Said Haddad Khalil Mansour Nasser Saleh Hamdan Abbas Hamid"),
    "east_asian": (0.04,
        "Wei Jun Ming Hao Lei Jian Tao Yong Kai Jin Minh Tuan Duc Hung Anh Long Kenji Hiro",
        "Li Mei Xin Ying Hui Yan Lan Jing Fang Ling Linh Thu Huong Mai Lan Ngoc Yuki Aiko",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Nguyen "
        "Tran Le Pham Hoang Phan Vu Dang Bui Do Chan Wong Leung Lau Cheung Ho Tanaka"),
    "other_european": (0.06,
        "Giuseppe Marco Luca Francesco Alessandro Antonio Jose Carlos Manuel Pedro Joao "
        "Miguel Javier Pablo Diego Pierre Jean Louis Nicolas Hans Klaus Stefan Lars Erik",
        "Giulia Francesca Chiara Maria Ana Carmen Sofia Isabel Ines Beatriz Lucia Elena "
        "Marie Camille Claire Julie Anne Sophie Katrin Ingrid Astrid Greta Eva Clara",
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Garcia "
        "Fernandez Gonzalez Rodriguez Lopez Martinez Sanchez Perez Silva Santos Ferreira "
        "Pereira Costa Oliveira Dubois Martin Bernard Moreau Muller Schmidt Schneider "
        "Fischer Weber Meyer Wagner Becker Hansen Johansson Andersson Nielsen De Luca"),
}  # fmt: skip
#: Syllables for rare surnames, so the register has a long tail of unique names.
RARE_SYLLABLES = (
    "ab al an ar ash bar bel ben bor bur cal car chan cor dal dar den dor ed el en er "
    "fal far fen for gar gil gor hal har hen hol ing jar kel ken kin lan lar len lin lor "
    "mal mar men mor nal nor oak ol or pen per ran ren rid ros sal san sel sor tal tan "
    "ten thor tor ul val ven ver wal war wen win wor yar zel"
).split()
